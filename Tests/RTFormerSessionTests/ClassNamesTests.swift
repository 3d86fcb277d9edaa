import Foundation
import RTFormer
import Testing
@testable import RTFormerSession

/// Output labels fit the head (issue 15 point 4).
@Suite struct ClassNamesTests {
    @Test func cifar100OnATenClassModelWarnsAndLabelsClassK() throws {
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        try SessionFixtures.run(s, ["model tiny", "load weights \(SessionFixtures.tinyWeights)"])
        let r = s.execute(line: "input \(SessionFixtures.sharedRoot)/data/cifar100/cifar100_test_first10.bin")
        #expect(r.error == nil)
        #expect(r.output.contains("warning: CIFAR-100 has 100 classes but the model head has 10 outputs"))
        let v = try s.logitsView()
        #expect(v.classNames == nil)
        #expect(v.top.allSatisfy { $0.className == nil })
        #expect(v.namesWarning?.contains("class k") == true)
        #expect(TextRender.logits(v).contains("warning: CIFAR-100"))
        // The image's own label still reads as its dataset names it.
        #expect(v.labelName != nil)
    }

    @Test func cifar10OnATenClassModelIsNamedWithoutWarning() throws {
        let s = try SessionFixtures.tinySession()
        let v = try s.logitsView()
        #expect(v.classNames == ClassNames.cifar10)
        #expect(v.namesWarning == nil)
    }

    @Test func gestureOnAnElevenClassEventModelGetsTheGestureNames() throws {
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        try SessionFixtures.run(s, ["model tiny-dvs", "input gesture"])
        let v = try s.logitsView()
        #expect(v.classNames == ClassNames.dvsGesture)
        #expect(v.classNames?.count == 11)
        #expect(v.top.allSatisfy { $0.className == ClassNames.dvsGesture[$0.classIndex] })
        #expect(v.namesWarning == nil)
    }

    @Test func nmnistOnATenClassEventModelGetsDigits() throws {
        let cfg = FileManager.default.temporaryDirectory.appendingPathComponent("nmnist-\(ProcessInfo.processInfo.processIdentifier).json")
        try #"{"name": "tiny-nmnist", "family": "rtformer", "embed_dims": 64, "num_heads": 4, "depths": 1, "T": 4, "img_size": 32, "in_channels": 2, "num_classes": 10}"#
            .write(to: cfg, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: cfg) }
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        try SessionFixtures.run(s, ["model \(cfg.path)", "input \(SessionFixtures.sharedRoot)/data/events/nmnist/tonic_sample_nmnist.bin"])
        let v = try s.logitsView()
        #expect(v.classNames == ClassNames.digits)
        #expect(v.namesWarning == nil)
    }

    @Test func bundledDigitsShowDigitNames() throws {
        let s = Session(baseDirectory: SessionFixtures.packageRoot.path)
        try SessionFixtures.run(s, ["load weights digits", "input digits index 3"])
        let v = try s.logitsView()
        #expect(v.classNames == ClassNames.digits)
        #expect(v.labelName == "digit \(v.label ?? -1)")
    }

    @Test func datasetListsMatchTheirSizes() {
        #expect(ClassNames.cifar10.count == 10 && ClassNames.cifar100Fine.count == 100 && ClassNames.cifar100Coarse.count == 20)
        #expect(ClassNames.dvsGesture.count == 11 && ClassNames.digits.count == 10)
        #expect(ClassNames.fitting(ClassNames.cifar10, dataset: "CIFAR-10", classes: 10).names == ClassNames.cifar10)
        #expect(ClassNames.fitting(ClassNames.cifar10, dataset: "CIFAR-10", classes: 11).names == nil)
    }
}
