import RTFormer

/// A word of a command line and where it starts.
public struct Token: Equatable, Sendable {
    public var text: String
    /// 1-based column of the first character (characters, not bytes).
    public var column: Int
    /// Length in characters as written (quotes included).
    public var length: Int
}

/// A line that is not a valid command: where, what was found, what was expected.
public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The line as typed.
    public var line: String
    /// 1-based column of the offending token (one past the end for a missing token).
    public var column: Int
    /// Characters to underline (at least 1).
    public var length: Int
    public var message: String
    /// What would have been accepted at that point.
    public var expected: [String]

    /// Three lines: the message, the line, and a caret under the offending token.
    public var description: String {
        var s = "error: \(message)\n  \(line)\n  " + String(repeating: " ", count: max(0, column - 1))
            + String(repeating: "^", count: max(1, length))
        if !expected.isEmpty { s += "\n  expected: " + expected.joined(separator: " | ") }
        return s
    }
}

/// The words of a line after the command name, consumed left to right by the command table.
public struct TokenStream {
    let line: String
    let tokens: [Token]
    var position = 0
    /// Column of a missing argument: one space after the last token.
    let endColumn: Int

    init(line: String, tokens: [Token], endColumn: Int) {
        self.line = line
        self.tokens = tokens
        self.endColumn = endColumn
    }

    var atEnd: Bool { position >= tokens.count }

    func peek() -> Token? { atEnd ? nil : tokens[position] }

    mutating func next() -> Token? {
        guard !atEnd else { return nil }
        defer { position += 1 }
        return tokens[position]
    }

    func error(_ message: String, at token: Token?, expected: [String]) -> ParseError {
        if let token {
            return ParseError(line: line, column: token.column, length: token.length, message: message, expected: expected)
        }
        return ParseError(line: line, column: endColumn, length: 1, message: message, expected: expected)
    }

    /// A required word (a path, a name).
    mutating func word(_ what: String) throws -> Token {
        guard let t = next() else { throw error("missing \(what)", at: nil, expected: [what]) }
        return t
    }

    /// One of `choices`.
    mutating func keyword(_ choices: [String], what: String) throws -> String {
        guard let t = next() else { throw error("missing \(what)", at: nil, expected: choices) }
        guard choices.contains(t.text) else { throw error("unknown \(what) '\(t.text)'", at: t, expected: choices) }
        return t.text
    }

    /// An integer ≥ `min`.
    mutating func integer(_ what: String, min: Int = 0, max: Int = Int.max) throws -> Int {
        guard let t = next() else { throw error("missing \(what)", at: nil, expected: ["\(what) (an integer ≥ \(min))"]) }
        return try Self.integer(t, what: what, min: min, max: max, stream: self)
    }

    static func integer(_ t: Token, what: String, min: Int, max: Int = Int.max, stream: TokenStream) throws -> Int {
        guard let n = Int(t.text) else {
            throw stream.error("'\(t.text)' is not an integer", at: t, expected: ["\(what) (an integer ≥ \(min))"])
        }
        guard n >= min else { throw stream.error("\(what) must be ≥ \(min), got \(n)", at: t, expected: ["an integer ≥ \(min)"]) }
        guard n <= max else { throw stream.error("\(what) must be ≤ \(max), got \(n)", at: t, expected: ["an integer in \(min)...\(max)"]) }
        return n
    }

    /// An optional integer ≥ `min` (nothing left → nil).
    mutating func optionalInteger(_ what: String, min: Int = 0) throws -> Int? {
        guard !atEnd else { return nil }
        return try integer(what, min: min)
    }

    /// Fails unless every token was used.
    func end() throws {
        if let t = peek() { throw error("unexpected '\(t.text)'", at: t, expected: ["end of line"]) }
    }
}

/// One entry of the command table: the parser and `help` both read it, so they cannot disagree.
public struct CommandSpec: Sendable {
    /// The first word.
    public var name: String
    /// Usage line, e.g. `step [n]`.
    public var usage: String
    /// One-line summary for `help`.
    public var summary: String
    /// Further lines for `help <command>`.
    public var details: String
    let parse: @Sendable (inout TokenStream) throws -> Command
}

/// Turns lines of the session language into `Command`s (DESIGN §4).
public enum CommandParser {
    /// Splits a line into tokens: whitespace separates, `"…"` quotes a path with spaces, `#`
    /// outside quotes starts a comment.
    /// - Throws: `ParseError` for an unterminated quote.
    public static func tokenize(_ line: String) throws -> [Token] {
        var tokens: [Token] = []
        let chars = Array(line)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" { i += 1; continue }
            if c == "#" { break }
            let start = i
            if c == "\"" {
                var j = i + 1
                while j < chars.count, chars[j] != "\"" { j += 1 }
                guard j < chars.count else {
                    throw ParseError(line: line, column: start + 1, length: chars.count - start, message: "unterminated quote",
                                     expected: ["a closing \""])
                }
                tokens.append(Token(text: String(chars[(i + 1)..<j]), column: start + 1, length: j - start + 1))
                i = j + 1
                continue
            }
            while i < chars.count, chars[i] != " ", chars[i] != "\t", chars[i] != "#" { i += 1 }
            tokens.append(Token(text: String(chars[start..<i]), column: start + 1, length: i - start))
        }
        return tokens
    }

    /// Parses one line.
    /// - Returns: nil for a blank or comment-only line.
    /// - Throws: `ParseError` pointing at the offending token, listing what was expected.
    public static func parse(_ line: String) throws -> Command? {
        let tokens = try tokenize(line)
        guard let first = tokens.first else { return nil }
        let last = tokens[tokens.count - 1]
        var stream = TokenStream(line: line, tokens: Array(tokens.dropFirst()), endColumn: last.column + last.length + 1)
        guard let spec = CommandTable.spec(named: first.text) else {
            throw ParseError(line: line, column: first.column, length: first.length, message: "unknown command '\(first.text)'",
                             expected: CommandTable.names)
        }
        let command = try spec.parse(&stream)
        try stream.end()
        return command
    }
}

/// The command table (DESIGN §4): names, usage, help text and argument grammar.
public enum CommandTable {
    /// Every command in help order.
    public static let all: [CommandSpec] = [
        CommandSpec(name: "model", usage: "model <config-name | file.json> [uncalibrated]",
                    summary: "build a model with seeded weights",
                    details: "Named configs: \(ModelConfig.namedOrder.joined(separator: ", ")). Seeded weights are not a trained model: "
                        + "their BN/TSBN running statistics are calibrated on the bundled samples before the first input runs "
                        + "(as every rtformer command does), unless `uncalibrated` (then nearly every neuron stays silent) or "
                        + "weights are loaded first. The input, if any, is rerun.") { s in
            let name = try s.word("config name or JSON file").text
            let uncalibrated = s.peek()?.text == "uncalibrated"
            if uncalibrated { _ = try s.keyword(["uncalibrated"], what: "option") }
            return .model(name, uncalibrated: uncalibrated)
        },
        CommandSpec(name: "load", usage: "load weights <file | digits | demo> [ema] [key NAME] [map FILE] [heads N]",
                    summary: "load a checkpoint (strict); rebuild the model from the file's config when it has one",
                    details: "safetensors or PyTorch .pth/.pt/.pth.tar (a state_dict or a training checkpoint) with the model's "
                        + "parameter names (unfused or deploy); a file whose keys all start with `weights.` (the fixtures) is accepted, `module.`/"
                        + "`_orig_mod.` prefixes are stripped. `ema`: the EMA weights; `key NAME`: another top-level entry; "
                        + "`map FILE`: a JSON key map [{\"from\": regex, \"to\": replacement}]; `heads N`: heads for a file "
                        + "without a config. Without a model, or when the file carries its config (args, metadata), the model "
                        + "is rebuilt from it. `digits` is the bundled trained tiny (the default), `demo` the bundled tiny demo checkpoint (γ<0 channels).") { s in
            _ = try s.keyword(["weights"], what: "what to load")
            let path = try s.word("weights file").text
            var ema = false, key: String?, map: String?, heads: Int?
            while !s.atEnd {
                switch try s.keyword(["ema", "key", "map", "heads"], what: "load option") {
                case "ema": ema = true
                case "key": key = try s.word("entry name").text
                case "map": map = try s.word("key map JSON file").text
                default: heads = try s.integer("heads", min: 1)
                }
            }
            return .loadWeights(path, ema: ema, key: key, keyMap: map, heads: heads)
        },
        CommandSpec(name: "calibrate", usage: "calibrate <file | default | gesture> [N]",
                    summary: "set BN/TSBN running statistics from N real samples (default 10)",
                    details: "Train-mode passes over the samples, statistics averaged cumulatively (PyTorch momentum=None); "
                        + "the deploy twin is rebuilt and the input rerun.") { s in
            let source = try s.word("input file or `default`").text
            return .calibrate(source: source, count: s.atEnd ? nil : try s.integer("N", min: 1))
        },
        CommandSpec(name: "encode", usage: "encode cifar | cifar10 | cifar100 | png | events [number|time]",
                    summary: "how inputs are encoded; the current input is encoded again",
                    details: "cifar/cifar10, cifar100: normalise images with those datasets' mean and standard deviation; png: the reader's "
                        + "choice (CIFAR-100 statistics for CIFAR-100 batches, CIFAR-10 otherwise); events number|time: bin "
                        + "event streams into T frames by equal event counts or equal durations.") { s in
            switch try s.keyword(["cifar", "cifar10", "cifar100", "png", "events"], what: "encoding") {
            case "cifar", "cifar10": return .encode(.images(.cifar10))
            case "cifar100": return .encode(.images(.cifar100))
            case "png": return .encode(.images(nil))
            default:
                if s.atEnd { return .encode(.events(.number)) }
                return .encode(.events(EventSplit(rawValue: try s.keyword(["number", "time"], what: "event binning"))!))
            }
        },
        CommandSpec(name: "input", usage: "input <file | default | digits | gesture> [index N] [T N] [format F] [carry]",
                    summary: "load an input and compute t = 0",
                    details: "CIFAR-10 .bin (index = record), safetensors with `input` [B,C,H,W] (index = sample); `default`: the bundled "
                        + "CIFAR-10 test images, `digits`: the bundled test digits (index k is digit k). "
                        + "A new input starts from rest unless `carry` is given. T is at most \(Limits.maxTimesteps). "
                        + "`format` names the file's format instead of recognising it: "
                        + FormatRecognition.optionNames.map(\.name).joined(separator: "|") + ".") { s in
            var req = InputRequest(source: try s.word("input file or `default`").text)
            while let t = s.next() {
                switch t.text {
                case "index": req.index = try s.integer("index")
                case "T": req.timesteps = try s.integer("T", min: 1, max: Limits.maxTimesteps)
                case "format":
                    let names = FormatRecognition.optionNames.map(\.name)
                    guard let f = s.next() else { throw s.error("missing format", at: nil, expected: names) }
                    guard let format = FormatRecognition.format(named: f.text) else {
                        throw s.error("unknown format '\(f.text)'", at: f, expected: names)
                    }
                    req.format = format
                case "carry": req.carry = true
                default: throw s.error("unknown input option '\(t.text)'", at: t, expected: ["index N", "T N", "format F", "carry"])
                }
            }
            return .input(req)
        },
        CommandSpec(name: "build", usage: "build [next | all | <layer path>]",
                    summary: "build the model layer by layer in front of you: both twins grow and compute each new layer",
                    details: "`build` starts from the input (no layer built); `build next` adds the next layer (a conv with its norm) "
                        + "and computes it for the computed timesteps; `build <path>` builds up to that layer; `build all` completes "
                        + "the model. Each step recomputes the built prefix from the input.") { s in
            if s.atEnd { return .build(.start) }
            let t = try s.word("next | all | layer path")
            switch t.text {
            case "next": return .build(.next)
            case "all": return .build(.all)
            default: return .build(.upTo(t.text))
            }
        },
        CommandSpec(name: "pin", usage: "pin [clear]",
                    summary: "pin the selected neuron on the membrane trace (again to unpin); pinned neurons are overlaid",
                    details: "Pins belong to a layer; `pin clear` removes every pin.") { s in
            if s.atEnd { return .pin(.toggle) }
            _ = try s.keyword(["clear"], what: "pin action")
            return .pin(.clear)
        },
        CommandSpec(name: "raster", usage: "raster channel | top [k]",
                    summary: "raster pane rows: the neurons of the selected channel, or the k most active neurons of the layer",
                    details: "k defaults to 32.") { s in
            let w = try s.keyword(["channel", "top"], what: "raster rows")
            if w == "channel" { return .raster(.channel) }
            return .raster(.top(try s.optionalInteger("k", min: 1) ?? 32))
        },
        CommandSpec(name: "step", usage: "step [n]", summary: "advance every layer by n timesteps (default 1)",
                    details: "Both twins advance in lockstep; timesteps already computed are not recomputed.") { s in
            .step(try s.optionalInteger("n", min: 1) ?? 1)
        },
        CommandSpec(name: "back", usage: "back [n]", summary: "show the state n timesteps earlier (no recomputation)",
                    details: "") { s in
            .back(try s.optionalInteger("n", min: 1) ?? 1)
        },
        CommandSpec(name: "goto", usage: "goto t=<k>", summary: "move to timestep k (computes up to k if needed)",
                    details: "`goto 2` and `goto t=2` are the same.") { s in
            let t = try s.word("t=<k>")
            let digits = t.text.hasPrefix("t=") ? String(t.text.dropFirst(2)) : t.text
            let shifted = Token(text: digits, column: t.column + (t.text.count - digits.count), length: max(1, digits.count))
            return .goto(try TokenStream.integer(shifted, what: "timestep", min: 0, stream: s))
        },
        CommandSpec(name: "run", usage: "run", summary: "compute every remaining timestep", details: "") { _ in .run },
        CommandSpec(name: "reset", usage: "reset", summary: "neuron state back to rest and t = 0 (recordings cleared)",
                    details: "") { _ in .reset },
        CommandSpec(name: "layer", usage: "layer <path | index | next | prev>", summary: "select a layer",
                    details: "A path may be a unique suffix, e.g. `layer q_lif`.") { s in
            let t = try s.word("layer path, index, next or prev")
            switch t.text {
            case "next": return .layer(.next)
            case "prev": return .layer(.prev)
            default:
                if let n = Int(t.text) {
                    guard n >= 0 else { throw s.error("layer index must be ≥ 0", at: t, expected: ["an index ≥ 0"]) }
                    return .layer(.index(n))
                }
                return .layer(.path(t.text))
            }
        },
        CommandSpec(name: "channel", usage: "channel <c | next | prev>", summary: "select a channel", details: "") { s in
            switch s.peek()?.text {
            case "next": _ = s.next(); return .channelStep(1)
            case "prev": _ = s.next(); return .channelStep(-1)
            default: return .channel(try s.integer("channel"))
            }
        },
        CommandSpec(name: "neuron", usage: "neuron <c,y,x | y,x | up | down | left | right>",
                    summary: "select a neuron (channel, row, column), or move to a neighbour", details: "") { s in
            let moves = ["up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)]
            if let word = s.peek()?.text, let (dy, dx) = moves[word] {
                _ = s.next()
                return .neuronMove(dy: dy, dx: dx)
            }
            let t = try s.word("c,y,x")
            let parts = t.text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3 else {
                throw s.error("'\(t.text)' is not c,y,x", at: t, expected: ["c,y,x", "y,x"])
            }
            var values: [Int] = []
            var column = t.column
            for p in parts {
                let part = Token(text: p, column: column, length: max(1, p.count))
                values.append(try TokenStream.integer(part, what: "coordinate", min: 0, stream: s))
                column += p.count + 1
            }
            return values.count == 3 ? .neuron(channel: values[0], y: values[1], x: values[2])
                : .neuron(channel: nil, y: values[0], x: values[1])
        },
        CommandSpec(name: "token", usage: "token <n | up | down | left | right>",
                    summary: "select token n of a token layer and of the attention pane, or move the attention token",
                    details: "Tokens are numbered row-major over the H′×W′ token grid (n = y·W′ + x).") { s in
            let moves = ["up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)]
            if let word = s.peek()?.text, let (dy, dx) = moves[word] {
                _ = s.next()
                return .tokenMove(dy: dy, dx: dx)
            }
            return .token(try s.integer("token"))
        },
        CommandSpec(name: "head", usage: "head <h | next | prev>", summary: "select the attention pane's head",
                    details: "SSA: the head's token × token map; SDSA: the head's channels head·d_h … (the head count does not "
                        + "change an SDSA output: its heads only group the channels).") { s in
            switch s.peek()?.text {
            case "next": _ = s.next(); return .headStep(1)
            case "prev": _ = s.next(); return .headStep(-1)
            default: return .head(try s.integer("head"))
            }
        },
        CommandSpec(name: "view", usage: "view unfused | deploy | split", summary: "which model the panes show",
                    details: "") { s in
            .view(ViewMode(rawValue: try s.keyword(ViewMode.allCases.map(\.rawValue), what: "view"))!)
        },
        CommandSpec(name: "fold", usage: "fold exact | paper", summary: "how the deploy twin folds the norm into each threshold: exact or as in the paper",
                    details: "`exact` keeps spikes identical (an ε guard, and the comparison flipped where γ ≤ 0); "
                        + "`paper` is the paper's Eq. 7 as written (no ε, no sign handling), which can change spikes.") { s in
            .fold(ThresholdFoldMode(rawValue: try s.keyword(ThresholdFoldMode.allCases.map(\.rawValue), what: "fold mode"))!)
        },
        CommandSpec(name: "mode", usage: "mode eval | train", summary: "norm statistics: running (eval) or window (train)",
                    details: "Train mode normalises each TSBN with its causal window's statistics (the timesteps up to t) and updates the "
                        + "running statistics as timesteps are computed; the input is rerun from t = 0. It is a preview: "
                        + "`mode eval` restores the running statistics exactly as they were before `mode train`.") { s in
            .mode(ForwardMode(rawValue: try s.keyword(["eval", "train"], what: "mode"))!)
        },
        CommandSpec(name: "show", usage: "show " + Pane.allCases.map(\.rawValue).joined(separator: " | ") + " [head h] [token n]",
                    summary: "print a pane", details: "`show attention [head h] [token n]` selects head and token first.") { s in
            let pane = Pane(rawValue: try s.keyword(Pane.allCases.map(\.rawValue), what: "pane"))!
            guard pane == .attention else { return .show(pane) }
            var head: Int?, token: Int?
            while !s.atEnd {
                switch try s.keyword(["head", "token"], what: "attention option") {
                case "head": head = try s.integer("head")
                default: token = try s.integer("token")
                }
            }
            return .showAttention(head: head, token: token)
        },
        CommandSpec(name: "diff", usage: "diff [local|e2e|float64]", summary: "the verdict and spike mismatches deploy vs unfused (near: within rounding of θ)",
                    details: "Without an argument shows both tables; `float64` recomputes both twins in Double for the current "
                        + "input and says whether the Float32 origins disappear.") { s in
            if s.atEnd { return .diff(.both) }
            return .diff(DiffScope(rawValue: try s.keyword(["local", "e2e", "float64"], what: "diff scope"))!)
        },
        CommandSpec(name: "origin", usage: "origin", summary: "cursor to the first mismatch origin of the diff",
                    details: "Layer, t, channel and neuron of the first structural origin, else of the first rounding flip.") { _ in .origin },
        CommandSpec(name: "energy", usage: "energy", summary: "synaptic operations and energy of the computed timesteps (0.9 pJ per AC, 4.6 pJ per MAC)",
                    details: "") { _ in .energy },
        CommandSpec(name: "layers", usage: "layers", summary: "the layer table", details: "") { _ in .layers },
        CommandSpec(name: "save", usage: "save <file.session>", summary: "write the commands so far as a script",
                    details: "") { s in
            .save(try s.word("session file").text)
        },
        CommandSpec(name: "export", usage: "export weights|deploy|dump|transcript <file> | export png|svg|csv <file> [pane]",
                    summary: "write weights, a dump, the transcript, or a pane as a figure / table",
                    details: "`dump` writes every LIF's spikes/h/v (and h_hat) of the computed timesteps, plus logits.\n"
                        + "`png`/`svg` write a pane as a figure with axes, title and colour bar; `csv` the numbers behind it.\n"
                        + "pane: " + FigurePane.allCases.map(\.rawValue).joined(separator: ", ")
                        + " (default: the focused pane in the TUI, else rates).") { s in
            let kinds = ExportKind.allCases.map(\.rawValue) + FigureFormat.allCases.map(\.rawValue)
            let word = try s.keyword(kinds, what: "export kind")
            if let format = FigureFormat(rawValue: word) {
                let file = try s.word("output file").text
                let pane = s.atEnd ? nil : FigurePane(rawValue: try s.keyword(FigurePane.allCases.map(\.rawValue), what: "pane"))
                return .exportFigure(format, file, pane)
            }
            return .export(ExportKind(rawValue: word)!, try s.word("output file").text)
        },
        CommandSpec(name: "expect", usage: "expect <query> <op> <value>", summary: "assert a value (replay fails otherwise)",
                    details: "ops: " + ComparisonOperator.allCases.map(\.rawValue).joined(separator: " ") + "\nqueries:\n"
                        + Query.allCases.map { "  \($0.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \($0.summary)" }
                        .joined(separator: "\n")) { s in
            let q = try s.keyword(Query.allCases.map(\.rawValue), what: "query")
            let op = try s.keyword(ComparisonOperator.allCases.map(\.rawValue), what: "operator")
            let v = try s.word("value")
            return .expect(Expectation(query: Query(rawValue: q)!, op: ComparisonOperator(rawValue: op)!, value: v.text))
        },
        CommandSpec(name: "help", usage: "help [command]", summary: "list commands, or explain one", details: "") { s in
            guard let t = s.next() else { return .help(nil) }
            guard CommandTable.spec(named: t.text) != nil else {
                throw s.error("no command '\(t.text)'", at: t, expected: CommandTable.names)
            }
            return .help(t.text)
        },
        CommandSpec(name: "quit", usage: "quit", summary: "leave", details: "") { _ in .quit },
    ]

    /// Command names in help order.
    public static let names: [String] = all.map(\.name)

    /// The entry for a first word (`exit` and `q` are accepted for `quit`).
    public static func spec(named name: String) -> CommandSpec? {
        let n = (name == "exit" || name == "q") ? "quit" : name
        return all.first { $0.name == n }
    }

    /// `help` text: every command, or one command in detail.
    public static func help(_ name: String?) -> String {
        if let name, let spec = spec(named: name) {
            return ([spec.usage, "  " + spec.summary] + (spec.details.isEmpty ? [] : [spec.details])).joined(separator: "\n")
        }
        // Usage and summary in two columns; a usage too long for the first column gets a line of
        // its own, its summary under it, so no summary starts beyond column 34.
        let width = 32
        return all.map { spec in
            spec.usage.count <= width
                ? spec.usage.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + spec.summary
                : spec.usage + "\n" + String(repeating: " ", count: width + 2) + spec.summary
        }.joined(separator: "\n")
    }
}
