import CLZ4

/// AEDAT 4.0 recordings (iniVation DV): the `#!AER-DAT4.0\r\n` line, an `IOHE` flatbuffer header
/// (compression, data-table position, an XML description of the streams), then packets of
/// `int32 streamId, int32 byteSize, payload`. Each payload is a size-prefixed flatbuffer, LZ4-frame
/// compressed when the header says so. Layout in SOURCES.md "Formats".
///
/// Event packets (`EVTS`: 16-byte structs `int64 t µs, int16 x, int16 y, uint8 on, 3 pad`) become
/// the stream; frame (`FRME`), IMU (`IMUS`), trigger (`TRIG`) and any other packets are counted in
/// `skippedPackets`. The `FTAB` index table after the packets is not needed and not read.
public enum AEDAT4File {
    /// The 14-byte version line every AEDAT 4.0 file starts with.
    public static let magic = Array("#!AER-DAT4.0\r\n".utf8)

    /// Decodes a recording.
    /// - Throws: `InputError` (format "AEDAT 4.0") naming the packet and its byte offset: bad magic,
    ///   a header that is not an `IOHE` flatbuffer, Zstd compression (not supported: refused
    ///   clearly), a packet running past the end of the file, an LZ4 frame that fails to decode, or
    ///   an EVTS packet whose event vector lies outside the payload, an XML sensor size outside
    ///   1...65536 per side, an event outside it, or timestamps out of order
    ///   (`EventStream.validate`).
    public static func decode(_ bytes: [UInt8], file: String) throws -> EventStream {
        let format = "AEDAT 4.0"
        guard bytes.count >= 18, Array(bytes[0..<14]) == magic else {
            throw InputError(file: file, format: format, location: "byte 0", expected: "the line '#!AER-DAT4.0\\r\\n'",
                             found: String(decoding: bytes.prefix(14), as: UTF8.self).debugDescription)
        }
        let headerLength = Int(Int32(bitPattern: UInt32(ByteCursor.load(bytes, 14, 4))))
        guard headerLength >= 8, 18 + headerLength <= bytes.count else {
            throw InputError(file: file, format: format, location: "byte 14", expected: "an IOHeader length that fits the file",
                             found: "\(headerLength) (file has \(bytes.count) bytes)")
        }
        let header = [UInt8](bytes[18..<(18 + headerLength)])
        guard Array(header[4..<8]) == Array("IOHE".utf8) else {
            throw InputError(file: file, format: format, location: "byte 22", expected: "flatbuffer identifier 'IOHE'",
                             found: String(decoding: header[4..<8], as: UTF8.self).debugDescription)
        }
        let io = try FlatBufferTable(root: header, base: 0, file: file, format: format, what: "IOHeader")
        let compression = Int32(truncatingIfNeeded: try io.integer(0, size: 4))
        let dataTable = Int64(bitPattern: try io.integer(1, size: 8, defaultValue: UInt64(bitPattern: -1)))
        let streams = describeStreams(try io.string(2) ?? "")
        guard (0...2).contains(compression) else {
            let name = compression == 3 || compression == 4 ? "Zstd (not supported here)" : "unknown code \(compression)"
            throw InputError(file: file, format: format, location: "IOHeader", expected: "compression none or LZ4", found: name)
        }

        let eventStreamId = streams.filter { $0.value.type == "EVTS" }.keys.min()
        let size = eventStreamId.flatMap { streams[$0]?.size }
        if let size { try EventStream.checkSensor(width: size.0, height: size.1, file: file, format: format, location: "IOHeader XML sizeX/sizeY") }
        var stream = EventStream(sensorWidth: size?.0 ?? 0, sensorHeight: size?.1 ?? 0,
                                 sensorSizeSource: size == nil ? "inferred from max coordinates" : "file header (XML sizeX/sizeY)")
        let end = dataTable > 0 && dataTable <= Int64(bytes.count) ? Int(dataTable) : bytes.count
        var pos = 18 + headerLength
        var packet = 0
        var maxX = 0, maxY = 0
        while pos < end {
            guard end - pos >= 8 else {
                throw InputError(file: file, format: format, location: "packet \(packet) (byte \(pos))",
                                 expected: "an 8-byte packet header", found: "\(end - pos) bytes before the end")
            }
            let streamId = Int(Int32(bitPattern: UInt32(ByteCursor.load(bytes, pos, 4))))
            let byteSize = Int(Int32(bitPattern: UInt32(ByteCursor.load(bytes, pos + 4, 4))))
            guard byteSize >= 0, byteSize <= end - pos - 8 else {
                throw InputError(file: file, format: format, location: "packet \(packet) (byte \(pos), stream \(streamId))",
                                 expected: "\(byteSize) payload bytes", found: "\(end - pos - 8) bytes before the end")
            }
            let where_ = "packet \(packet) (byte \(pos), stream \(streamId))"
            let raw = bytes[(pos + 8)..<(pos + 8 + byteSize)]
            let payload = compression == 0 ? Array(raw) : try lz4Frame(raw, file: file, format: format, location: where_)
            guard payload.count >= 12 else {
                throw InputError(file: file, format: format, location: where_, expected: "a size-prefixed flatbuffer (≥ 12 bytes)",
                                 found: "\(payload.count) bytes")
            }
            let identifier = String(decoding: payload[8..<12], as: UTF8.self)
            if identifier == "EVTS" && streamId == eventStreamId ?? streamId {
                let table = try FlatBufferTable(root: payload, base: 4, file: file, format: format, what: where_)
                if let (start, n) = try table.vector(0, elementSize: 16) {
                    stream.reserve(stream.count + n)
                    for i in 0..<n {
                        let e = start + 16 * i
                        let x = Int(Int16(bitPattern: UInt16(ByteCursor.load(payload, e + 8, 2))))
                        let y = Int(Int16(bitPattern: UInt16(ByteCursor.load(payload, e + 10, 2))))
                        guard x >= 0, y >= 0 else {
                            throw InputError(file: file, format: format, location: "\(where_), event \(i)",
                                             expected: "non-negative coordinates", found: "x \(x), y \(y)")
                        }
                        maxX = max(maxX, x)
                        maxY = max(maxY, y)
                        stream.append(t: Int64(bitPattern: ByteCursor.load(payload, e, 8)), x: UInt16(x), y: UInt16(y),
                                      polarity: payload[e + 12] != 0 ? 1 : 0)
                    }
                }
            } else {
                let kind = identifier == "EVTS" ? "EVTS(stream \(streamId))" : identifier
                stream.skippedPackets[kind, default: 0] += 1
            }
            pos += 8 + byteSize
            packet += 1
        }
        if size == nil {
            stream.sensorWidth = maxX + 1
            stream.sensorHeight = maxY + 1
        }
        try stream.validate(file: file, format: format)
        return stream
    }

    /// Stream id → (typeIdentifier, sizeX × sizeY) from the IOHeader's XML description, read by
    /// plain text search (the XML is machine-written: one `<node ... path=".../outInfo/<id>/">`
    /// per stream, with an `info/` child carrying the size).
    static func describeStreams(_ xml: String) -> [Int: (type: String, size: (Int, Int)?)] {
        var out: [Int: (type: String, size: (Int, Int)?)] = [:]
        var attrs: [Int: [String: String]] = [:]
        let chunks = xml.components(separatedBy: "path=\"/mainloop/Recorder/outInfo/").dropFirst()
        for chunk in chunks {
            guard let slash = chunk.firstIndex(of: "/"), let id = Int(chunk[..<slash]) else { continue }
            for piece in chunk.components(separatedBy: "<attr key=\"").dropFirst() {
                guard let q = piece.firstIndex(of: "\""), let gt = piece.firstIndex(of: ">") else { continue }
                let key = String(piece[..<q])
                let value = piece[piece.index(after: gt)...].prefix { $0 != "<" }
                attrs[id, default: [:]][key] = String(value)
            }
        }
        for (id, a) in attrs {
            var size: (Int, Int)?
            if let w = a["sizeX"].flatMap({ Int($0.prefix(20)) }), let h = a["sizeY"].flatMap({ Int($0.prefix(20)) }) { size = (w, h) }
            out[id] = (a["typeIdentifier"] ?? "?", size)
        }
        return out
    }

    /// Decompresses one LZ4 frame (liblz4's LZ4F API), growing the output as needed.
    static func lz4Frame(_ src: ArraySlice<UInt8>, file: String, format: String, location: String) throws -> [UInt8] {
        guard !src.isEmpty else {
            throw InputError(file: file, format: format, location: location, expected: "an LZ4 frame", found: "an empty payload")
        }
        var ctx: OpaquePointer?
        let created = LZ4F_createDecompressionContext(&ctx, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(created) == 0, let ctx else {
            throw InputError(file: file, format: format, location: location, expected: "an LZ4 decompression context",
                             found: String(cString: LZ4F_getErrorName(created)))
        }
        defer { LZ4F_freeDecompressionContext(ctx) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: max(65536, 4 * src.count))
        var consumed = 0
        let total = src.count
        var finished = false
        try src.withUnsafeBytes { input in
            while !finished {
                var srcSize = total - consumed
                var dstSize = chunk.count
                let hint = chunk.withUnsafeMutableBytes { dst in
                    LZ4F_decompress(ctx, dst.baseAddress, &dstSize, input.baseAddress! + consumed, &srcSize, nil)
                }
                if LZ4F_isError(hint) != 0 {
                    throw InputError(file: file, format: format, location: "\(location), compressed byte \(consumed)",
                                     expected: "a valid LZ4 frame", found: String(cString: LZ4F_getErrorName(hint)))
                }
                consumed += srcSize
                out.append(contentsOf: chunk[0..<dstSize])
                if hint == 0 { finished = true } else if srcSize == 0 && dstSize == 0 {
                    throw InputError(file: file, format: format, location: location,
                                     expected: "a complete LZ4 frame", found: "the payload ends inside the frame")
                }
            }
        }
        return out
    }
}
