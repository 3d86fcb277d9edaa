import RTFormer
import RTFormerSession

/// Session commands run from keys and the command line, and play (stepping on a timer).
extension ExplorerApp {
    // MARK: session commands

    /// Runs one command line in the session and shows its result: one line in the message row,
    /// several lines (a table, help, a parse error with its caret) in the output overlay.
    public mutating func run(_ line: String, session: Session, fromCommandLine: Bool = false) {
        lastCommands.append(line)
        session.focusedFigurePane = FigurePane(rawValue: focus == .tsbn ? "tsbn" : focus.description)
        let result = session.execute(line: line)
        if result.quit {
            shouldQuit = true
            return
        }
        if let error = result.error {
            if error.contains("\n") {
                overlay = .output(title: line, text: error, offset: 0)
                outputColumn = 0
            }
            message = Message(text: error.split(separator: "\n").last.map(String.init) ?? error, isError: true)
            if isPlaying { isPlaying = false }
            return
        }
        let output = result.output
        if fromCommandLine && output.contains("\n") {
            overlay = .output(title: line, text: output, offset: 0)
            outputColumn = 0
            message = Message(text: "\(line): \(output.split(separator: "\n").count) lines (q closes)", isError: false)
        } else {
            let first = output.split(separator: "\n").first.map(String.init) ?? ""
            message = Message(text: first.isEmpty || first == line ? line : "\(line) → \(first)", isError: false)
        }
    }

    mutating func runAll(_ lines: [String], session: Session) {
        for line in lines {
            run(line, session: session)
            if message?.isError == true || shouldQuit { break }
        }
    }

    /// Runs the lines of a `.session` script (`rtformer tui --session FILE`) and shows a summary.
    public mutating func replay(_ result: ReplayResult, file: String) {
        if result.passed {
            message = Message(text: "replayed \(file): \(result.linesRun) lines", isError: false)
        } else {
            message = Message(text: "replayed \(file): \(result.failures.count) failed (first: \(result.failures[0]))", isError: true)
            overlay = .output(title: "replay \(file)", text: result.transcript, offset: 0)
            outputColumn = 0
        }
    }

    /// Collapses the group of the selected layer, or opens the collapsed group that hides it.
    mutating func toggleGroup(session: Session) {
        guard let path = session.selectedLayer?.path else { return }
        if let hiding = collapsedGroups.filter({ path.hasPrefix($0 + ".") }).min(by: { $0.count < $1.count }) {
            collapsedGroups.remove(hiding)
            message = Message(text: "opened \(hiding)", isError: false)
        } else if let group = TreeTable.group(of: path) {
            collapsedGroups.insert(group)
            message = Message(text: "collapsed \(group) (Enter opens it)", isError: false)
        } else {
            message = Message(text: "\(path) is at the top level", isError: false)
        }
    }

    // MARK: play

    mutating func togglePlay(session: Session) {
        if isPlaying {
            isPlaying = false
            message = Message(text: "paused", isError: false)
            return
        }
        let timesteps = session.config?.timesteps ?? 0
        if session.cursor.t >= timesteps - 1 { run("goto t=0", session: session) }
        isPlaying = message?.isError != true
        if isPlaying { message = Message(text: "playing every \(playInterval) ms (p pauses, + - speed)", isError: false) }
    }

    mutating func tick(session: Session) {
        let timesteps = session.config?.timesteps ?? 0
        guard session.cursor.t < timesteps - 1 else {
            isPlaying = false
            message = Message(text: "reached the last timestep t = \(timesteps - 1); p plays again from t = 0", isError: false)
            return
        }
        run("step", session: session)
    }

    mutating func changeSpeed(by delta: Int) {
        speedIndex = min(Self.playIntervals.count - 1, max(0, speedIndex + delta))
        message = Message(text: "play interval \(playInterval) ms", isError: false)
    }
}
