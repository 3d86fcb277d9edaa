import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

/// Views and commands match on `DeployAvailability` (issue 10): without a twin they say why,
/// with one they use it; the layer kinds reach the views typed.
@Suite struct DeployAvailabilityTests {
    static let noConversion = "this build has no deploy conversion (DeployConversion, issue 4)"

    /// A tiny session with the fixture weights and no deploy conversion.
    static func sessionWithoutTwin() throws -> Session {
        let s = Session(deployBuilder: nil, baseDirectory: SessionFixtures.packageRoot.path)
        try SessionFixtures.run(s, ["model tiny", "load weights \(SessionFixtures.tinyWeights)", "input default"])
        return s
    }

    @Test func withoutATwinTheViewsSayWhy() throws {
        let s = try Self.sessionWithoutTwin()
        guard case let .unavailable(reason) = s.deployAvailability else {
            Issue.record("expected no deploy twin")
            return
        }
        #expect(reason == Self.noConversion)
        let table = try s.layerTable()
        #expect(table.rows.allSatisfy { $0.deploy == .unknown })
        #expect(table.deployParameters == nil)
        #expect(s.execute(line: "fold paper").output == "fold paper (no deploy twin: \(Self.noConversion))")
        #expect(s.execute(line: "view deploy").error?.contains("no deploy twin: \(Self.noConversion)") == true)
        #expect(s.value(of: .deployParams) == .unavailable("no deploy twin: \(Self.noConversion)"))
        // The unfused model's logits need no twin.
        #expect(try s.logitsView().top.count == 5)
    }

    @Test func withATwinTheViewsUseIt() throws {
        let s = try SessionFixtures.tinySession()
        guard case let .available(twin) = s.deployAvailability else {
            Issue.record("expected a deploy twin")
            return
        }
        let table = try s.layerTable()
        #expect(table.deployParameters == twin.parameterCount)
        #expect(table.rows.first { $0.path == "patch_embed.proj_tsbn" }?.deploy == .absorbed)
        #expect(s.execute(line: "fold paper").output == "fold paper: deploy twin rebuilt, \(Fmt.int(twin.parameterCount)) parameters")
        try SessionFixtures.run(s, ["view deploy"])
        #expect(try s.logitsView().top.count == 5)
    }

    @Test func logitsWithoutAModelSayNoModel() {
        let s = Session()
        #expect(throws: SessionError.noModel) { _ = try s.logitsView() }
    }

    @Test func viewsCarryTheTypedKind() throws {
        let s = try SessionFixtures.tinySession(extra: ["layer patch_embed.stcore.lif"])
        #expect(try s.layerTable().rows.first { $0.path == "patch_embed.stcore.lif" }?.kind == .lif(.tsbnMembrane, vThreshold: 1))
        #expect(try s.membraneView(for: .unfused).kind == .lif(.tsbnMembrane, vThreshold: 1))
        #expect(try s.membraneView(for: .deploy).kind == .lif(.foldedThreshold, vThreshold: 1))
        #expect(TextRender.membrane(try s.membraneView(for: .deploy)).hasPrefix("deploy patch_embed.stcore.lif (LIF θ(t,c)) · t 0"))
    }
}
