/// A decoded event-camera recording, struct-of-arrays: event `i` is
/// `(t[i] µs, x[i], y[i], polarity[i])`.
public struct EventStream: Sendable, Equatable {
    /// Sensor width in pixels (x in `0..<sensorWidth`).
    public var sensorWidth: Int
    /// Sensor height in pixels (y in `0..<sensorHeight`).
    public var sensorHeight: Int
    /// Timestamps in **microseconds**, as stored in the file (AEDAT 4 timestamps are absolute
    /// Unix-epoch µs; 40-bit and Prophesee timestamps start near 0).
    public var t: [Int64]
    /// Column of each event.
    public var x: [UInt16]
    /// Row of each event (0 = top row, as the sensor reports it).
    public var y: [UInt16]
    /// 1 = ON (brightness increase), 0 = OFF.
    public var polarity: [UInt8]
    /// Packets or records present in the file but not turned into events, by kind, e.g.
    /// `["FRME": 3, "IMUS": 40, "TRIG": 2]` for AEDAT 4; empty when nothing was skipped.
    public var skippedPackets: [String: Int]
    /// Where the sensor size came from ("file header", "inferred from max coordinates", ...).
    public var sensorSizeSource: String

    /// An empty stream on a sensor of the given size.
    public init(sensorWidth: Int, sensorHeight: Int, sensorSizeSource: String = "given") {
        self.sensorWidth = sensorWidth
        self.sensorHeight = sensorHeight
        self.t = []
        self.x = []
        self.y = []
        self.polarity = []
        self.skippedPackets = [:]
        self.sensorSizeSource = sensorSizeSource
    }

    /// Number of events.
    public var count: Int { t.count }

    /// `t.last − t.first` in µs (0 for fewer than two events).
    public var duration: Int64 { count < 2 ? 0 : t[count - 1] - t[0] }

    /// Appends one event.
    public mutating func append(t: Int64, x: UInt16, y: UInt16, polarity: UInt8) {
        self.t.append(t)
        self.x.append(x)
        self.y.append(y)
        self.polarity.append(polarity)
    }

    /// Reserves room for `n` events.
    public mutating func reserve(_ n: Int) {
        t.reserveCapacity(n)
        x.reserveCapacity(n)
        y.reserveCapacity(n)
        polarity.reserveCapacity(n)
    }

    /// A one-line summary for the user: event count, sensor, duration, skipped packets.
    public var summary: String {
        var s = "\(count) events, sensor \(sensorWidth)x\(sensorHeight) (\(sensorSizeSource)), \(duration) µs"
        if !skippedPackets.isEmpty {
            s += "; skipped " + skippedPackets.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        }
        return s
    }

    /// How far a timestamp may go back from the latest one before the stream counts as out of
    /// order, in µs (1 ms: sensors interleave readout rows by a few µs; a file whose times jump
    /// back further is damaged, or not events at all).
    public static let timeOrderTolerance: Int64 = 1000

    /// Largest timestamp magnitude accepted from a file, in µs (2^61 ≈ 73,000 years): the
    /// difference of any two timestamps then fits in `Int64`.
    public static let maxTimestamp: Int64 = 1 << 61

    /// Throws unless every timestamp is within ±`maxTimestamp` and at least
    /// `latest − timeOrderTolerance`, and every event lies inside the sensor.
    /// - Throws: `InputError` naming the first offending event.
    public func validate(file: String, format: String) throws {
        var latest = Int64.min
        for i in 0..<count {
            let t = self.t[i]
            // Bounded so that every difference of two timestamps (durations, frame windows) fits.
            guard t >= -Self.maxTimestamp && t <= Self.maxTimestamp else {
                throw InputError(file: file, format: format, location: "event \(i)",
                                 expected: "a timestamp within ±2^61 µs", found: "t \(t) µs")
            }
            if latest != Int64.min && t < latest - Self.timeOrderTolerance {
                throw InputError(file: file, format: format, location: "event \(i)",
                                 expected: "timestamps in time order (going back at most \(Self.timeOrderTolerance) µs)",
                                 found: "t \(t) µs after t \(latest) µs")
            }
            latest = max(latest, t)
            if Int(x[i]) >= sensorWidth || Int(y[i]) >= sensorHeight {
                throw InputError(file: file, format: format, location: "event \(i)",
                                 expected: "x < \(sensorWidth), y < \(sensorHeight) (sensor \(sensorSizeSource))",
                                 found: "x \(x[i]), y \(y[i])")
            }
        }
    }

    /// Throws unless `width` × `height` (a sensor size read from a file header) is within
    /// 1...`Limits.maxSensorSide` per side.
    static func checkSensor(width: Int, height: Int, file: String, format: String, location: String) throws {
        let r = 1...Limits.maxSensorSide
        guard r.contains(width), r.contains(height) else {
            throw InputError(file: file, format: format, location: location,
                             expected: "a sensor size of 1...\(Limits.maxSensorSide) pixels per side", found: "\(width)x\(height)")
        }
    }
}
