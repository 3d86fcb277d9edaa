import RTFormerSession
import RTFormerTUI
import Testing

@Suite struct ExplorerKeyTableTests {
    @Test func everyKeyReachesItsOwnBindingInItsPanes() {
        let table = KeyTable.standard
        for binding in table.bindings {
            let panes: [ExplorerPane?] = binding.panes.isEmpty ? [nil] : Array(binding.panes)
            for pane in panes {
                for key in binding.keys {
                    let found = table.binding(for: key, focused: pane ?? .layers)
                    if binding.panes.isEmpty, let found, !found.panes.isEmpty { continue }  // a pane may override a global key
                    #expect(found == binding, "\(key) in \(pane.map(\.description) ?? "all")")
                }
            }
        }
    }

    @Test func hintBarComesFromTheTableWithThePanesKeysFirst() {
        let hints = KeyTable.standard.hints(focused: .membrane)
        #expect(hints.first == HintBar.Hint("↑↓←→", "neuron"))
        #expect(hints.contains(HintBar.Hint("space .", "step")))
        #expect(hints.contains(HintBar.Hint("?", "help")))
        #expect(!KeyTable.standard.hints(focused: .layers).contains(HintBar.Hint("m", "H/V")))
    }

    /// The key table is the one list of keys (the session keeps none of its own): every command
    /// line a key produces, in every pane it applies to, parses in the session language.
    @Test func everyKeysCommandLinesParse() throws {
        let f = ExplorerFixture()
        for binding in KeyTable.standard.bindings {
            for line in f.app.commands(for: binding.action, session: f.session) {
                #expect(try CommandParser.parse(line) != nil, "\(binding.label): \(line)")
            }
        }
    }

    @Test func filterMatchesLabelSummaryAndScope() {
        let table = KeyTable.standard
        #expect(table.matching("").count == table.bindings.count)
        #expect(table.matching("FOLD").map(\.action) == [.toggleFold])
        #expect(table.matching("tsbn").allSatisfy { $0.panes.contains(.tsbn) || $0.summary.lowercased().contains("tsbn") })
    }
}

@Suite struct ExplorerAppTests {
    @Test func stepAndBackKeysRunSessionCommands() {
        var f = ExplorerFixture()
        f.press(.character(" "))
        #expect(f.app.lastCommands == ["step"])
        f.press(.character("."))
        #expect(f.session.cursor.t == 2)
        f.press(.character(","))
        #expect(f.app.lastCommands == ["back"])
        #expect(f.session.cursor.t == 1)
        f.press(.character("g"))
        #expect(f.app.lastCommands == ["goto t=0"])
        f.press(.character("r"))
        #expect(f.app.lastCommands == ["reset"])
    }

    @Test func viewCyclesUnfusedDeploySplitAndFoldToggles() {
        var f = ExplorerFixture()
        var views: [ViewMode] = []
        for _ in 0..<3 {
            f.press(.character("v"))
            views.append(f.session.view)
        }
        #expect(views == [.deploy, .split, .unfused])
        f.press(.character("f"))
        #expect(f.app.lastCommands == ["fold paper"])
        #expect(f.session.fold == .paper)
        f.press(.character("f"))
        #expect(f.session.fold == .exact)
        f.press(.character("t"))
        #expect(f.app.lastCommands == ["mode train"])
        #expect(f.session.unfused?.mode == .train)
    }

    @Test func layerAndChannelKeysStayInRange() {
        var f = ExplorerFixture()
        let start = f.session.cursor.layerIndex
        f.press(.character("]"))
        #expect(f.app.lastCommands == ["layer next"])
        #expect(f.session.cursor.layerIndex == start + 1)
        f.press(.character("["))
        #expect(f.session.cursor.layerIndex == start)
        f.press(.character("{"))
        #expect(f.app.lastCommands.isEmpty)
        f.press(.character("}"), .character("}"))
        #expect(f.app.lastCommands == ["channel next"])
        #expect(f.session.cursor.channel == 2)
    }

    @Test func arrowsMeanWhatTheFocusedPaneShows() {
        var f = ExplorerFixture()
        #expect(f.app.focus == .layers)
        f.press(.down)
        #expect(f.app.lastCommands == ["layer next"])
        f.press(.up, .tab)
        #expect(f.app.focus == .membrane)
        f.press(.character("l"), .character("j"))
        #expect(f.app.lastCommands == ["neuron down"])
        #expect(f.session.cursor.position == 9)
        f.press(.tab)
        #expect(f.app.focus == .tsbn)
        f.press(.down)
        #expect(f.app.lastCommands == ["channel next"])
        #expect(f.session.cursor.channel == 1)
        f.press(.backTab, .backTab)
        #expect(f.app.focus == .layers)
    }

    @Test func numberKeysToggleAndZoomAndEscapeUnzoomsBeforeQuitting() {
        var f = ExplorerFixture()
        f.press(.character("5"))
        #expect(f.app.enabledPanes.contains(.diff))
        #expect(f.app.focus == .diff)
        f.press(.character("5"))
        #expect(!f.app.enabledPanes.contains(.diff))
        f.press(.character("e"))
        #expect(f.app.isZoomed)
        #expect(f.app.layout.panes == [f.app.focus])
        f.press(.escape)
        #expect(!f.app.isZoomed)
        #expect(!f.app.shouldQuit)
        f.press(.character("q"))
        #expect(f.app.lastCommands == ["quit"])
        #expect(f.app.shouldQuit)
    }

    @Test func escapeNeverQuitsEvenAfterAClosedPopUp() {
        var f = ExplorerFixture()
        f.press(.character("?"), .escape, .escape, .escape)
        #expect(f.app.overlay == nil)
        #expect(!f.app.shouldQuit)
        f.press(.character(":"), .escape, .escape)
        #expect(!f.app.isEditingCommand)
        #expect(!f.app.shouldQuit)
        #expect(f.app.lastCommands.isEmpty)
        f.press(.character("q"))
        #expect(f.app.shouldQuit)
    }

    @Test func helpFiltersAndEnterRunsTheSelectedBinding() {
        var f = ExplorerFixture()
        // `?` explains the focused pane (LayerTreeKeyTests); `?` again lists the keys.
        f.press(.character("?"), .character("?"))
        #expect(f.app.overlay == .help(filter: "", selected: 0))
        f.type("fold")
        #expect(f.app.overlay == .help(filter: "fold", selected: 0))
        f.press(.enter)
        #expect(f.app.overlay == nil)
        #expect(f.app.lastCommands == ["fold paper"])
        f.press(.character("?"), .character("q"))
        #expect(f.app.overlay == nil)
        #expect(!f.app.shouldQuit)
    }

    @Test func commandLineRunsAnyCommandWithHistoryAndCompletion() {
        var f = ExplorerFixture()
        f.press(.character(":"))
        #expect(f.app.isEditingCommand)
        f.type("vi")
        f.press(.tab)
        #expect(f.app.commandLine.text == "view ")
        f.type("s")
        f.press(.tab)
        #expect(f.app.commandLine.text == "view split ")
        f.press(.enter)
        #expect(!f.app.isEditingCommand)
        #expect(f.session.view == .split)
        f.press(.character(":"))
        f.type("s")
        f.press(.tab)
        #expect(f.app.commandLine.candidates == ["step", "show", "save"].filter { CommandTable.names.contains($0) }.sorted {
            CommandTable.names.firstIndex(of: $0)! < CommandTable.names.firstIndex(of: $1)!
        })
        // `load weights FILE` completes its options.
        f.press(.escape, .character(":"))
        f.type("load weights ckpt.pth.tar e")
        f.press(.tab)
        #expect(f.app.commandLine.text == "load weights ckpt.pth.tar ema ")
        f.press(.escape, .character(":"), .up)
        #expect(f.app.commandLine.text == "view split")
        f.press(.escape)
        f.press(.character(":"))
        f.type("layers")
        f.press(.enter)
        guard case .output(_, let text, _) = f.app.overlay else {
            Issue.record("a multi-line result opens the output overlay")
            return
        }
        #expect(text.contains("patch_embed.proj_conv"))
        f.press(.character("q"))
        #expect(f.app.overlay == nil)
    }

    @Test func errorsShowInTheMessageRow() {
        var f = ExplorerFixture()
        f.press(.character(":"))
        f.type("goto t=99")
        f.press(.enter)
        #expect(f.app.message?.isError == true)
        #expect(f.session.cursor.t == 0)
    }

    /// An error answers the key that caused it: the next key clears it, while a command's
    /// result stays until the next command; zooming answers "does not fit; e zooms it".
    @Test func staleErrorsAndHintsGo() {
        var f = ExplorerFixture()
        f.press(.character("G"), .character(" "))
        #expect(f.app.message?.isError == true, "stepping past the last timestep is an error")
        f.press(.character("?"))
        #expect(f.app.message == nil)
        f.press(.escape, .character("v"))
        #expect(f.app.message?.isError == false, "the view command's result")
        var g = ExplorerFixture(size: Size(width: 80, height: 24))
        g.press(.character("5"))
        #expect(g.app.message?.text.hasSuffix("e zooms it") == true, "\(g.app.message?.text ?? "")")
        g.press(.character("e"))
        #expect(g.app.message == nil)
    }

    @Test func playStepsOnTimeoutsAndStopsAtTheLastTimestep() {
        var f = ExplorerFixture()
        f.press(.character("p"))
        #expect(f.app.isPlaying)
        let timesteps = f.session.config!.timesteps
        for _ in 0..<(timesteps + 2) { f.press(.timeout) }
        #expect(f.session.cursor.t == timesteps - 1)
        #expect(!f.app.isPlaying)
        f.press(.character("+"))
        #expect(f.app.playInterval == ExplorerApp.playIntervals[3])
        f.press(.character("p"))
        #expect(f.app.lastCommands == ["goto t=0"])
    }

    @Test func layoutDropsLowPriorityPanesWhenSmall() {
        let big = ExplorerFixture()
        #expect(big.app.layout.panes == [.layers, .membrane, .tsbn, .rates])
        // At 80×24 the rates pane goes under the layer list (issue 15: it was hidden there).
        let small = ExplorerFixture(size: Size(width: 80, height: 24))
        #expect(small.app.layout.panes == [.layers, .membrane, .tsbn, .rates])
        #expect(small.app.layout.hiddenPanes.isEmpty)
        var tiny = ExplorerFixture(size: Size(width: 80, height: 20))
        tiny.press(.character("5"))
        #expect(tiny.app.layout.hiddenPanes.contains(.diff))
    }

    @Test func resizeChangesTheLayoutSize() {
        var f = ExplorerFixture()
        f.press(.resize(Size(width: 90, height: 30)))
        #expect(f.app.size == Size(width: 90, height: 30))
        #expect(f.app.lastCommands.isEmpty)
    }
}

@Suite struct ExplorerRenderSweepTests {
    /// Every size from tiny to huge, with every pane on, zoomed or not, with and without overlays:
    /// the frame has the status line on top and the hint bar at the bottom, or the too-small message.
    @Test func everySizeDrawsAFrameOrTheTooSmallMessage() {
        var f = ExplorerFixture(panes: Set(ExplorerPane.allCases))
        f.press(.character(" "))
        let sizes = [(0, 0), (1, 1), (20, 5), (59, 40), (120, 15), (60, 16), (61, 17), (79, 23), (80, 24), (100, 30),
                     (120, 40), (160, 50), (240, 70)]
        for (w, h) in sizes {
            for variant in 0..<4 {
                var app = f.app
                app.size = Size(width: w, height: h)
                if variant == 1 { app.perform(.zoom, session: f.session) }
                if variant == 2 { app.perform(.help, session: f.session) }
                if variant == 3 { app.perform(.commandLine, session: f.session) }
                let screen = ExplorerRenderer.render(app, session: f.session, size: app.size, appearance: .standard)
                #expect(screen.size == Size(width: w, height: h))
                let lines = screen.plainText().split(separator: "\n", omittingEmptySubsequences: false)
                if ExplorerLayout.minimumSize.isSatisfied(by: screen.size) {
                    #expect(lines.first?.contains("t 1/4") == true, "status line at \(w)x\(h) variant \(variant)")
                    #expect(!app.layout.panes.isEmpty, "some pane at \(w)x\(h)")
                } else if w >= 40 && h >= 3 {
                    #expect(screen.plainText().contains("terminal too small"), "\(w)x\(h)")
                }
            }
        }
    }

    @Test func controlLRequestsAFullRedraw() {
        var f = ExplorerFixture()
        f.press(.redraw)
        #expect(f.app.needsFullRedraw)
        #expect(f.app.lastCommands.isEmpty)
    }

    @Test func replayResultIsShownAndFailuresOpenTheTranscript() {
        var f = ExplorerFixture()
        let ok = Replay.run("step\nexpect t == 1", in: f.session)
        f.app.replay(ok, file: "ok.session")
        #expect(f.app.message?.text == "replayed ok.session: 2 lines")
        #expect(f.app.message?.isError == false)
        let bad = Replay.run("expect t == 3\n", in: f.session)
        f.app.replay(bad, file: "bad.session")
        #expect(f.app.message?.isError == true)
        guard case .output = f.app.overlay else {
            Issue.record("a failed replay shows its transcript")
            return
        }
    }
}
