import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

/// Issue 15: help in the user's words, tables with headings, `t` without losing the cursor.
@Suite struct LegibleTextTests {
    @Test func helpNeverCitesTheSpec() {
        var texts = [CommandTable.help(nil)] + CommandTable.all.map { CommandTable.help($0.name) }
        texts += Query.allCases.map(\.summary)
        for text in texts {
            for marker in ["SPEC", "§", "decision 5", "R9", "R19"] {
                #expect(!text.contains(marker), "help cites '\(marker)': \(text.prefix(80))")
            }
        }
    }

    @Test func helpListStartsEverySummaryInItsColumn() {
        let lines = CommandTable.help(nil).split(separator: "\n").map(String.init)
        for spec in CommandTable.all {
            guard let line = lines.first(where: { $0.hasSuffix(spec.summary) }) else {
                Issue.record("\(spec.name): summary not on a line of its own end")
                continue
            }
            #expect(line.count - spec.summary.count <= 34, "\(spec.name): summary starts at column \(line.count - spec.summary.count)")
        }
    }

    @Test func energyTextHasHeadingsAndSeparatedColumns() throws {
        let s = try SessionFixtures.tinySession(extra: ["run"])
        let text = try #require(s.execute(line: "energy").output as String?)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count > 3)
        let heading = lines[1]
        for h in ["layer", "op", "FL/t", "input rate per t", "SOP", "pJ"] { #expect(heading.contains(h), "heading \(h)") }
        // Every column is two spaces from the next: no `AC169,869,312` run together.
        for line in lines.dropFirst(2).dropLast() {
            #expect(line.range(of: #"(AC|MAC)\d"#, options: .regularExpression) == nil, "\(line)")
        }
    }

    @Test func trainToggleKeepsTheCursorsTimestep() throws {
        let s = try SessionFixtures.tinySession(extra: ["goto t=2"])
        #expect(s.cursor.t == 2)
        try SessionFixtures.run(s, ["mode train"])
        #expect(s.cursor.t == 2)
        #expect(s.unfused?.mode == .train)
        try SessionFixtures.run(s, ["mode eval"])
        #expect(s.cursor.t == 2)
        #expect(s.computedSteps >= 3)
    }
}
