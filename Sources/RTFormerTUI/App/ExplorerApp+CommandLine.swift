import RTFormer
import RTFormerSession

/// The `:` command line: editing, history, completion.
extension ExplorerApp {
    // MARK: command line

    mutating func editCommand(_ key: Key, session: Session) {
        switch key {
        case .character(let ch): commandLine.insert(ch)
        case .backspace:
            if !commandLine.deleteBackward() && commandLine.text.isEmpty { isEditingCommand = false }
        case .delete: commandLine.deleteForward()
        case .left: commandLine.moveLeft()
        case .right: commandLine.moveRight()
        case .home, .control("a"): commandLine.moveToStart()
        case .end, .control("e"): commandLine.moveToEnd()
        case .up: commandLine.historyUp()
        case .down: commandLine.historyDown()
        case .tab: commandLine.complete { Self.completions(after: $0, session: session) }
        case .escape, .control("c"), .control("g"):
            isEditingCommand = false
        case .enter:
            let line = commandLine.submit()
            isEditingCommand = false
            guard !line.trimmingWhitespace().isEmpty else { return }
            run(line, session: session, fromCommandLine: true)
        case .redraw: needsFullRedraw = true
        default: break
        }
    }

    /// Candidates for the word after `words` on a command line.
    static func completions(after words: [String], session: Session) -> [String] {
        guard let command = words.first else { return CommandTable.names }
        // `load weights FILE [ema] [key NAME] [map FILE] [heads N]`: the options after the file.
        if command == "load" && words.count >= 3 && !["key", "map", "heads"].contains(words.last!) {
            return ["ema", "key", "map", "heads"]
        }
        guard words.count == 1 else { return [] }
        switch command {
        case "view": return ViewMode.allCases.map(\.rawValue)
        case "fold": return ThresholdFoldMode.allCases.map(\.rawValue)
        case "show": return Pane.allCases.map(\.rawValue)
        case "diff": return ["local", "e2e"]
        case "export": return ExportKind.allCases.map(\.rawValue) + FigureFormat.allCases.map(\.rawValue)
        case "build": return ["next", "all"] + (session.unfused?.layers.map(\.path) ?? [])
        case "raster": return ["channel", "top"]
        case "pin": return ["clear"]
        case "layer": return ["next", "prev"] + (session.unfused?.layers.map(\.path) ?? [])
        case "goto": return ["t="]
        case "load": return ["weights"]
        case "input": return ["default"]
        case "help": return CommandTable.names
        case "model": return ModelConfig.namedOrder
        default: return []
        }
    }
}
