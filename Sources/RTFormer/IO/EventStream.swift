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
}
