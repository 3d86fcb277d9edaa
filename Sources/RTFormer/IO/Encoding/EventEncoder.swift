import Foundation

/// How event streams are cut into the T frames.
public enum EventSplit: String, Sendable, CaseIterable {
    /// Equal event counts: with N events and T frames, frame j holds events
    /// `[⌊N/T⌋·j, ⌊N/T⌋·(j+1))`, the last frame running to N (spikingjelly `split_by='number'`).
    case number
    /// Equal durations: Δt = ⌊(t_last − t_first)/T⌋ µs; frame j holds events with
    /// `t_first + Δt·j ≤ t < t_first + Δt·(j+1)`, the last frame running to the end
    /// (spikingjelly `split_by='time'`; where spikingjelly fails on an empty window, this gives
    /// an empty frame).
    case time
}

/// How an event stream was encoded, for the user.
public struct EventEncoding: Sendable, Equatable {
    /// Number of frames T.
    public var timesteps: Int
    /// How events were assigned to frames.
    public var split: EventSplit
    /// Events integrated into each frame.
    public var eventsPerFrame: [Int]
    /// `[t_first, t_last]` of each frame's events in µs (nil for an empty frame).
    public var frameTimes: [ClosedRange<Int64>?]
    /// Sensor size of the stream, in pixels.
    public var sensorWidth: Int
    /// Sensor height of the stream, in pixels.
    public var sensorHeight: Int
    /// Side of the square frame fed to the model.
    public var size: Int
    /// Sensor pixel (x, y) adds to frame pixel (⌊x·scale⌋ + offsetX, ⌊y·scale⌋ + offsetY).
    public var scale: Double
    /// Columns of zero padding left of the mapped sensor.
    public var offsetX: Int
    /// Rows of zero padding above the mapped sensor.
    public var offsetY: Int

    /// A few lines for the user.
    public var summary: String {
        var lines = ["event frames: T = \(timesteps), split by \(split.rawValue), 2 channels (0 = OFF, 1 = ON), counts"]
        if scale < 1 {
            lines.append("sensor \(sensorWidth)x\(sensorHeight) sum-pooled by scale \(String(format: "%.4g", scale)) into \(size)x\(size)" +
                         (offsetX > 0 || offsetY > 0 ? ", centred at offset (\(offsetX), \(offsetY))" : ""))
        } else if offsetX > 0 || offsetY > 0 || sensorWidth != size || sensorHeight != size {
            lines.append("sensor \(sensorWidth)x\(sensorHeight) placed centred in \(size)x\(size) at offset (\(offsetX), \(offsetY))")
        } else {
            lines.append("sensor \(sensorWidth)x\(sensorHeight) used as is")
        }
        lines.append("events per frame: \(eventsPerFrame.map(String.init).joined(separator: " "))")
        return lines.joined(separator: "\n")
    }
}

/// Integrates event streams into frames `[T, B=1, 2, size, size]` (spikingjelly
/// `integrate_events_by_fixed_frames_number` semantics: channel 0 counts OFF events, channel 1 ON
/// events, each frame a plain count per pixel).
public enum EventEncoder {
    /// Encodes one stream.
    ///
    /// Spatial mapping: a sensor larger than `size` on either side is **sum-pooled**: with
    /// `scale = size / max(W, H)`, sensor pixel (x, y) adds to (⌊x·scale⌋, ⌊y·scale⌋) — exactly
    /// k×k sum pooling when max(W, H) = k·size (128 → 32 is 4×4) — and the pooled map, keeping
    /// the aspect ratio, is centred. A sensor no larger than `size` is placed **centred** unscaled,
    /// offset ⌊(size − W)/2⌋, ⌊(size − H)/2⌋. Events are taken in time order (a stream that is
    /// not sorted is stably sorted by t first).
    /// - Parameters:
    ///   - stream: events with t in µs.
    ///   - timesteps: T frames, 1...`Limits.maxTimesteps` (a precondition: `InputEncoder`
    ///     checks it and throws).
    ///   - size: side of the model's square input, 1...`Limits.maxImageSide`.
    ///   - splitBy: `.number` (equal event counts) or `.time` (equal durations).
    /// - Returns: frames `[T, 1, 2, size, size]` and a description.
    public static func encode(_ stream: EventStream, timesteps: Int, size: Int,
                              splitBy: EventSplit = .number) -> (input: Tensor, encoding: EventEncoding) {
        precondition((1...Limits.maxTimesteps).contains(timesteps) && (1...Limits.maxImageSide).contains(size),
                     "EventEncoder needs T in 1...\(Limits.maxTimesteps) and size in 1...\(Limits.maxImageSide)")
        let n = stream.count
        var order = Array(0..<n)
        if zip(stream.t, stream.t.dropFirst()).contains(where: { $0 > $1 }) {
            order.sort { (stream.t[$0], $0) < (stream.t[$1], $1) }
        }
        let bounds = segmentBounds(times: order.map { stream.t[$0] }, frames: timesteps, splitBy: splitBy)

        // The sensor size comes from a file header: bounded, and positions are computed per
        // event (never a table per sensor column, which a forged header could make huge).
        let w = min(max(1, stream.sensorWidth), Limits.maxSensorSide), h = min(max(1, stream.sensorHeight), Limits.maxSensorSide)
        let scale = max(w, h) > size ? Double(size) / Double(max(w, h)) : 1
        let mappedW = scale < 1 ? min(size, Int((Double(w - 1) * scale).rounded(.down)) + 1) : w
        let mappedH = scale < 1 ? min(size, Int((Double(h - 1) * scale).rounded(.down)) + 1) : h
        let offX = (size - mappedW) / 2, offY = (size - mappedH) / 2

        let plane = size * size
        var out = [Float](repeating: 0, count: timesteps * 2 * plane)
        var times: [ClosedRange<Int64>?] = []
        for (j, r) in bounds.enumerated() {
            for k in r {
                let e = order[k]
                let x = Int(stream.x[e]), y = Int(stream.y[e])
                guard x < w, y < h else { continue }
                let c = stream.polarity[e] == 0 ? 0 : 1
                let px = min(size - 1, Int((Double(x) * scale).rounded(.down)) + offX)
                let py = min(size - 1, Int((Double(y) * scale).rounded(.down)) + offY)
                out[(j * 2 + c) * plane + py * size + px] += 1
            }
            times.append(r.isEmpty ? nil : stream.t[order[r.lowerBound]]...stream.t[order[r.upperBound - 1]])
        }
        let encoding = EventEncoding(timesteps: timesteps, split: splitBy, eventsPerFrame: bounds.map(\.count),
                                     frameTimes: times, sensorWidth: stream.sensorWidth, sensorHeight: stream.sensorHeight,
                                     size: size, scale: scale, offsetX: offX, offsetY: offY)
        return (Tensor(shape: [timesteps, 1, 2, size, size], storage: out), encoding)
    }

    /// The index range of each of `frames` segments of time-sorted `times` (see `EventSplit`).
    public static func segmentBounds(times: [Int64], frames: Int, splitBy: EventSplit) -> [Range<Int>] {
        let n = times.count
        guard n > 0 else { return Array(repeating: 0..<0, count: frames) }
        switch splitBy {
        case .number:
            let di = n / frames
            return (0..<frames).map { j in (di * j)..<(j == frames - 1 ? n : di * (j + 1)) }
        case .time:
            let t0 = times[0]
            let dt = (times[n - 1] - t0) / Int64(frames)
            func lowerBound(_ value: Int64) -> Int {
                var lo = 0, hi = n
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if times[mid] < value { lo = mid + 1 } else { hi = mid }
                }
                return lo
            }
            return (0..<frames).map { j in
                let l = lowerBound(t0 + dt * Int64(j))
                let r = j == frames - 1 ? n : lowerBound(t0 + dt * Int64(j + 1))
                return l..<max(l, r)
            }
        }
    }
}
