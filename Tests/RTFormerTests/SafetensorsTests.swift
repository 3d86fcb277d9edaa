import Foundation
import Testing
@testable import RTFormer

@Suite struct SafetensorsRoundTrip {
    @Test func writeThenReadGivesSameTensors() throws {
        let a = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        let b = Tensor(scalar: -7.5)
        let data = try Safetensors.serialize([("a", a), ("b", b)], metadata: ["k": "v"])
        let f = try Safetensors.parse(data, file: "mem")
        #expect(f.tensors["a"] == a)
        #expect(f.tensors["b"] == b)
        #expect(f.metadata == ["k": "v"])
        #expect(f.keys == ["a", "b"])
    }

    @Test func readsLIFFixture() throws {
        let f = try Safetensors.read(path: Fixtures.path("lif.safetensors"))
        #expect(f.tensors["hard.x"]?.shape == [8, 2, 3, 5, 5])
        #expect(f.tensors.count == 15)
    }
}
