import RTFormer
import Testing
@testable import RTFormerSession

/// Asserts that `line` fails to parse with the caret at `column` (1-based), `length` characters long.
private func expectParseError(_ line: String, column: Int, length: Int = 1, mentions: String? = nil, expected: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let c = try CommandParser.parse(line)
        Issue.record("'\(line)' parsed as \(String(describing: c))", sourceLocation: sourceLocation)
    } catch let e as ParseError {
        #expect(e.column == column, "column of '\(line)': \(e)", sourceLocation: sourceLocation)
        #expect(e.length == length, "length of '\(line)': \(e)", sourceLocation: sourceLocation)
        if let mentions { #expect(e.message.contains(mentions), "\(e.message)", sourceLocation: sourceLocation) }
        if let expected { #expect(e.expected.contains(expected), "\(e.expected)", sourceLocation: sourceLocation) }
        let lines = e.description.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count >= 3, sourceLocation: sourceLocation)
        if lines.count >= 3 {
            // The caret line sits under the echoed line (both indented by two spaces).
            let caret = lines[2]
            #expect(caret.firstIndex(of: "^").map { caret.distance(from: caret.startIndex, to: $0) } == column + 1,
                    "caret in\n\(e.description)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct CommandParserTests {
    @Test(arguments: [
        ("model tiny", Command.model("tiny")),
        ("model configs/x.json", .model("configs/x.json")),
        ("load weights w.safetensors", .loadWeights("w.safetensors")),
        ("load weights \"my weights.safetensors\"", .loadWeights("my weights.safetensors")),
        ("load weights model_best.pth.tar ema", .loadWeights("model_best.pth.tar", ema: true)),
        ("load weights c.pth key model map m.json heads 8", .loadWeights("c.pth", key: "model", keyMap: "m.json", heads: 8)),
        ("input default", .input(InputRequest(source: "default"))),
        ("input data.bin index 3 T 4", .input(InputRequest(source: "data.bin", index: 3, timesteps: 4))),
        ("input x.safetensors carry", .input(InputRequest(source: "x.safetensors", carry: true))),
        ("calibrate default", .calibrate(source: "default", count: nil)),
        ("calibrate data.bin 5", .calibrate(source: "data.bin", count: 5)),
        ("build", .build(.start)),
        ("build block.0.attn.q_lif", .build(.upTo("block.0.attn.q_lif"))),
        ("pin", .pin(.toggle)),
        ("pin clear", .pin(.clear)),
        ("raster channel", .raster(.channel)),
        ("raster top 5", .raster(.top(5))),
        ("show raster", .show(.raster)),
        ("show input", .show(.input)),
        ("build next", .build(.next)),
        ("build all", .build(.all)),
        ("step", .step(1)),
        ("step 3", .step(3)),
        ("back", .back(1)),
        ("back 2", .back(2)),
        ("goto t=2", .goto(2)),
        ("goto 0", .goto(0)),
        ("run", .run),
        ("reset", .reset),
        ("layer block.0.attn.q_lif", .layer(.path("block.0.attn.q_lif"))),
        ("layer 13", .layer(.index(13))),
        ("layer next", .layer(.next)),
        ("layer prev", .layer(.prev)),
        ("channel 5", .channel(5)),
        ("channel next", .channelStep(1)),
        ("channel prev", .channelStep(-1)),
        ("neuron up", .neuronMove(dy: -1, dx: 0)),
        ("neuron right", .neuronMove(dy: 0, dx: 1)),
        ("neuron 5,3,4", .neuron(channel: 5, y: 3, x: 4)),
        ("neuron 3,4", .neuron(channel: nil, y: 3, x: 4)),
        ("token 17", .token(17)),
        ("token down", .tokenMove(dy: 1, dx: 0)),
        ("head 2", .head(2)),
        ("head next", .headStep(1)),
        ("show attention head 1 token 3", .showAttention(head: 1, token: 3)),
        ("view unfused", .view(.unfused)),
        ("view deploy", .view(.deploy)),
        ("view split", .view(.split)),
        ("fold exact", .fold(.exact)),
        ("fold paper", .fold(.paper)),
        ("mode train", .mode(.train)),
        ("mode eval", .mode(.eval)),
        ("show membrane", .show(.membrane)),
        ("show tsbn", .show(.tsbn)),
        ("diff", .diff(.both)),
        ("diff local", .diff(.local)),
        ("diff e2e", .diff(.e2e)),
        ("origin", .origin),
        ("diff float64", .diff(.float64)),
        ("expect diff.verdict == equivalent_up_to_rounding", .expect(Expectation(query: .diffVerdict, op: .equal, value: "equivalent_up_to_rounding"))),
        ("energy", .energy),
        ("layers", .layers),
        ("save out.session", .save("out.session")),
        ("export dump out.safetensors", .export(.dump, "out.safetensors")),
        ("expect diff.structural == 0", .expect(Expectation(query: .diffStructural, op: .equal, value: "0"))),
        ("expect layer != head_lif", .expect(Expectation(query: .layer, op: .notEqual, value: "head_lif"))),
        ("expect rate.mean >= 0.1  # a comment", .expect(Expectation(query: .rateMean, op: .greaterOrEqual, value: "0.1"))),
        ("help", .help(nil)),
        ("help step", .help("step")),
        ("quit", .quit),
        ("exit", .quit),
    ])
    func parses(_ line: String, _ command: Command) throws {
        #expect(try CommandParser.parse(line) == command)
    }

    @Test func everyCommandOfTheTableHasAParsedExample() throws {
        let examples = ["model tiny", "load weights w", "calibrate default", "encode cifar", "input default", "build", "pin", "raster top 4", "step", "back", "goto t=1", "run", "reset", "layer 0",
                        "channel 0", "neuron 0,0", "token 0", "head 0", "view split", "fold exact", "mode eval", "show layers", "diff",
                        "origin", "energy", "layers", "save s", "export weights w", "expect t == 0", "help", "quit"]
        #expect(Set(examples.map { String($0.split(separator: " ")[0]) }) == Set(CommandTable.names))
        for e in examples { #expect(try CommandParser.parse(e) != nil, "\(e)") }
    }

    @Test func blankAndCommentLinesAreNoCommand() throws {
        #expect(try CommandParser.parse("") == nil)
        #expect(try CommandParser.parse("   ") == nil)
        #expect(try CommandParser.parse("# step 3") == nil)
    }

    @Test func unknownCommandPointsAtTheWord() {
        expectParseError("stpe 3", column: 1, length: 4, mentions: "unknown command 'stpe'", expected: "step")
        expectParseError("  bulid all", column: 3, length: 5, expected: "build")
    }

    @Test func missingArgumentPointsPastTheLastToken() {
        expectParseError("model", column: 7, mentions: "missing")
        expectParseError("load weights", column: 14, mentions: "missing", expected: "weights file")
        expectParseError("load weights w.pth emma", column: 20, length: 4, mentions: "unknown load option 'emma'", expected: "ema")
        expectParseError("view", column: 6, expected: "split")
        expectParseError("expect rate", column: 13, expected: ">=")
        expectParseError("export dump", column: 13, expected: "output file")
        expectParseError("goto", column: 6, expected: "t=<k>")
    }

    @Test func badIntegersPointAtTheirToken() {
        expectParseError("step two", column: 6, length: 3, mentions: "not an integer")
        expectParseError("step 0", column: 6, mentions: "≥ 1")
        expectParseError("channel -1", column: 9, length: 2)
        expectParseError("input x.bin index z", column: 19, mentions: "not an integer")
        expectParseError("goto t=x", column: 8, mentions: "not an integer")
        expectParseError("back 1.5", column: 6, length: 3)
    }

    @Test func badNeuronCoordinatesPointAtThePart() {
        expectParseError("neuron 5,a,4", column: 10, mentions: "not an integer")
        expectParseError("neuron 5", column: 8, mentions: "not c,y,x", expected: "c,y,x")
        expectParseError("neuron 1,2,3,4", column: 8, length: 7)
    }

    @Test func unknownKeywordsListTheChoices() {
        expectParseError("view both", column: 6, length: 4, mentions: "unknown view", expected: "deploy")
        expectParseError("fold eq7", column: 6, length: 3, expected: "paper")
        expectParseError("show everything", column: 6, length: 10, expected: "membrane")
        expectParseError("diff global", column: 6, length: 6, expected: "e2e")
        expectParseError("build next now", column: 12, length: 3, expected: "end of line")
        expectParseError("load model x", column: 6, length: 5, expected: "weights")
        expectParseError("expect temperature == 3", column: 8, length: 11, mentions: "unknown query", expected: "diff.structural")
        expectParseError("expect t = 3", column: 10, length: 1, mentions: "unknown operator", expected: "==")
        expectParseError("input x.bin frame 2", column: 13, length: 5, expected: "index N")
        expectParseError("help stepping", column: 6, length: 8, expected: "step")
        expectParseError("mode fast", column: 6, length: 4, expected: "train")
        expectParseError("export picture out.png", column: 8, length: 7, expected: "dump")
    }

    @Test func extraTokensAreRejected() {
        expectParseError("run 3", column: 5, mentions: "unexpected '3'", expected: "end of line")
        expectParseError("step 2 3", column: 8)
        expectParseError("quit now", column: 6, length: 3)
        expectParseError("layer q_lif k_lif", column: 13, length: 5)
    }

    @Test func unterminatedQuoteIsAnError() {
        expectParseError("load weights \"a b", column: 14, length: 4, mentions: "unterminated quote")
    }

    @Test func helpComesFromTheCommandTable() {
        let all = CommandTable.help(nil)
        for spec in CommandTable.all {
            #expect(all.contains(spec.usage), "\(spec.name) missing from help")
            #expect(all.contains(spec.summary))
            #expect(CommandTable.help(spec.name).hasPrefix(spec.usage))
        }
        let expect = CommandTable.help("expect")
        for q in Query.allCases { #expect(expect.contains(q.rawValue), "\(q) missing from help expect") }
    }

    @Test func expectationsCompareNumbersNumericallyAndTextExactly() {
        #expect(Expectation(query: .rate, op: .less, value: "0.5").holds(for: .number(0.25)))
        #expect(!Expectation(query: .rate, op: .greater, value: "0.5").holds(for: .number(0.25)))
        #expect(Expectation(query: .t, op: .equal, value: "3").holds(for: .number(3)))
        #expect(Expectation(query: .t, op: .equal, value: "3.0").holds(for: .number(3)))
        #expect(Expectation(query: .view, op: .equal, value: "split").holds(for: .text("split")))
        #expect(Expectation(query: .view, op: .notEqual, value: "split").holds(for: .text("deploy")))
        #expect(!Expectation(query: .view, op: .less, value: "split").holds(for: .text("deploy")))
        #expect(!Expectation(query: .inputLabel, op: .equal, value: "3").holds(for: .unavailable("no label")))
    }
}

@Suite struct EncodeCommandTests {
    @Test func encodeParsesEverySetting() throws {
        #expect(try CommandParser.parse("encode cifar") == .encode(.images(.cifar10)))
        #expect(try CommandParser.parse("encode cifar100") == .encode(.images(.cifar100)))
        #expect(try CommandParser.parse("encode png") == .encode(.images(nil)))
        #expect(try CommandParser.parse("encode events") == .encode(.events(.number)))
        #expect(try CommandParser.parse("encode events time") == .encode(.events(.time)))
        #expect(throws: ParseError.self) { try CommandParser.parse("encode jpeg") }
    }

    @Test func encodeReencodesTheCurrentInputWithOtherStatistics() throws {
        let s = Session()
        for line in ["model tiny", "input default"] { #expect(s.execute(line: line).error == nil) }
        let before = try #require(s.encodedInput)
        #expect(s.execute(line: "encode cifar100").error == nil)
        let after = try #require(s.encodedInput)
        let mean: [Double] = [0.5071, 0.4867, 0.4408], std: [Double] = [0.2675, 0.2565, 0.2761]
        let raw = BundledSamples.cifar10TestRecords
        let expected = Float((Double(raw[1]) / 255 - mean[0]) / std[0])
        #expect(after.storage[0] == expected)
        #expect(after != before)
        #expect(s.execute(line: "encode events time").error == nil)
        #expect(s.encoding.stats == .cifar100)
        #expect(s.encoding.splitBy == .time)
    }
}

@Suite struct ExpectationTypeTests {
    @Test func aWordAgainstANumericQueryIsAScriptError() throws {
        let s = Session()
        for line in ["model tiny", "input default"] { #expect(s.execute(line: line).error == nil) }
        let r = s.execute(line: "expect t == abc")
        #expect(r.expectationFailed == false)
        #expect(r.error?.contains("`t` is a number") == true)
        #expect(s.execute(line: "expect t == 0").error == nil)
    }
}
