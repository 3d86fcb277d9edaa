import Foundation
import RTFormer

/// Turns an `--input` file into the model's `[T, B, C, H, W]` input.
enum InputLoading {
    /// - Throws: `InputLoadingError` naming the file and what was expected.
    static func encode(path: String, index: Int?, config: ModelConfig) throws -> Tensor {
        let file = try Safetensors.read(path: path)
        let candidates = file.tensors.filter { $0.value.rank == 4 }
        guard let x = file.tensors["input"] ?? (candidates.count == 1 ? candidates.first!.value : nil) else {
            throw InputLoadingError.noInput(file: path)
        }
        var batch = x
        if let index {
            guard index >= 0 && index < x.shape[0] else { throw InputLoadingError.index(file: path, index: index, count: x.shape[0]) }
            batch = Tensor(shape: [1] + Array(x.shape.dropFirst()), storage: x.slice(index).storage)
        }
        let expected = [config.inChannels, config.imgSize, config.imgSize]
        guard batch.rank == 4, Array(batch.shape.dropFirst()) == expected else {
            throw InputLoadingError.shape(file: path, found: batch.shape, expected: expected)
        }
        return Tensor(shape: [config.timesteps] + batch.shape,
                      storage: Array([[Float]](repeating: batch.storage, count: config.timesteps).joined()))
    }
}

enum InputLoadingError: Error, CustomStringConvertible {
    case noInput(file: String)
    case index(file: String, index: Int, count: Int)
    case shape(file: String, found: [Int], expected: [Int])

    var description: String {
        switch self {
        case let .noInput(file): return "\(file): no tensor 'input' and no single 4-D tensor [B, C, H, W]"
        case let .index(file, index, count): return "\(file): --index \(index) out of range (the file holds \(count) samples)"
        case let .shape(file, found, expected): return "\(file): input \(found) does not fit the model: expected [B, \(expected.map(String.init).joined(separator: ", "))]"
        }
    }
}
