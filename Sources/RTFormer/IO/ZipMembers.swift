import Foundation
import ZIPFoundation

/// The members of a zip archive (a torch ≥ 1.6 `.pth`), every size and offset validated against
/// the file before a byte of a member is read.
///
/// ZIPFoundation trusts the directory's offsets and traps ("Range requires lowerBound <=
/// upperBound") on an archive with bytes deleted from the middle, so the directory is parsed
/// here: the end-of-central-directory record (and its zip64 form, which `torch.save` writes), each
/// central entry (zip64 extra fields included), and each entry's local header, whose name must
/// match and whose data must end before the central directory. Stored members (all `torch.save`
/// writes) are sliced and CRC-checked (`Data.crc32`, ZIPFoundation); deflated members are inflated
/// by ZIPFoundation's `Data.decompress` from the validated range, bounded by the declared size.
/// Layout: PKWARE APPNOTE 6.3, sections 4.3.7 (local header), 4.3.12 (central entry), 4.3.14–16
/// (zip64 and end records), 4.5.3 (zip64 extra field).
struct ZipMembers {
    /// One validated member.
    struct Entry {
        var path: String
        /// 0 stored, 8 deflated.
        var method: Int
        var crc: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        /// Offset of the member's data in the file.
        var dataOffset: Int
    }

    let bytes: [UInt8]
    let file: String
    /// Members in directory order.
    private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]

    static let format = "PyTorch zip"
    /// Most members accepted (a state dict of 10,000 tensors has about 10,010).
    static let maxEntries = 1 << 20
    /// Largest member inflated from a deflated entry, in bytes.
    static let maxInflated = 1 << 32

    /// Parses and validates the directory.
    /// - Throws: `InputError` (format "PyTorch zip") naming the record or member and its byte
    ///   offset: no end record, a directory outside the file, an entry whose local header or data
    ///   lies outside the file or disagrees with the directory, an unsupported compression method,
    ///   or an encrypted member.
    init(_ bytes: [UInt8], file: String) throws {
        self.bytes = bytes
        self.file = file
        let n = bytes.count
        func u(_ at: Int, _ size: Int) -> Int { Int(truncatingIfNeeded: ByteCursor.load(bytes, at, size)) }
        // End of central directory: 22 bytes + a comment of up to 65,535 bytes at the end.
        var eocd = -1
        var p = n - 22
        while p >= max(0, n - 22 - 65535) {
            if bytes[p] == 0x50, bytes[p + 1] == 0x4B, bytes[p + 2] == 5, bytes[p + 3] == 6, p + 22 + u(p + 20, 2) == n { eocd = p; break }
            p -= 1
        }
        guard eocd >= 0 else {
            throw error(nil, "an end-of-central-directory record at the end", found: "none: the archive is truncated or damaged")
        }
        var count = u(eocd + 10, 2), cdSize = u(eocd + 12, 4), cdOffset = u(eocd + 16, 4)
        if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            // Zip64: a 20-byte locator right before the end record points at the zip64 end record.
            let loc = eocd - 20
            guard loc >= 0, u(loc, 4) == 0x0706_4B50 else {
                throw error(eocd, "a zip64 end-of-central-directory locator before the end record", found: "none")
            }
            let z = Int(exactly: ByteCursor.load(bytes, loc + 8, 8)) ?? -1
            guard z >= 0, z <= loc - 56, u(z, 4) == 0x0606_4B50 else {
                throw error(loc, "a zip64 end record inside the file", found: "offset \(ByteCursor.load(bytes, loc + 8, 8))")
            }
            count = Int(exactly: ByteCursor.load(bytes, z + 32, 8)) ?? -1
            cdSize = Int(exactly: ByteCursor.load(bytes, z + 40, 8)) ?? -1
            cdOffset = Int(exactly: ByteCursor.load(bytes, z + 48, 8)) ?? -1
        }
        guard cdOffset >= 0, cdSize >= 0, cdOffset <= eocd, cdSize <= eocd - cdOffset else {
            throw error(eocd, "a central directory inside the file (before byte \(eocd))", found: "offset \(cdOffset), size \(cdSize)")
        }
        guard count >= 0, count <= Self.maxEntries, count <= cdSize / 46 else {
            throw error(eocd, "at most \(min(Self.maxEntries, cdSize / 46)) entries for a \(cdSize)-byte directory", found: "\(count)")
        }
        var q = cdOffset
        let cdEnd = cdOffset + cdSize
        entries.reserveCapacity(count)
        for i in 0..<count {
            guard cdEnd - q >= 46, u(q, 4) == 0x0201_4B50 else {
                throw error(q, "central directory entry \(i) of \(count) ('PK\\x01\\x02')",
                            found: cdEnd - q >= 4 ? "'\(Printable.bytes(bytes[q..<(q + 4)]))'" : "the end of the directory")
            }
            let flags = u(q + 8, 2), method = u(q + 10, 2)
            let crc = UInt32(u(q + 16, 4))
            var csize = u(q + 20, 4), usize = u(q + 24, 4)
            let nameLength = u(q + 28, 2), extraLength = u(q + 30, 2), commentLength = u(q + 32, 2)
            var local = u(q + 42, 4)
            let entryEnd = q + 46 + nameLength + extraLength + commentLength
            guard entryEnd <= cdEnd else {
                throw error(q, "central entry \(i) inside the directory", found: "it runs \(entryEnd - cdEnd) bytes past its end")
            }
            let nameBytes = Array(bytes[(q + 46)..<(q + 46 + nameLength)])
            let path = String(decoding: nameBytes, as: UTF8.self)
            // Zip64 extra field (id 1): 8-byte values for the fields saturated at 0xFFFFFFFF, in order.
            var e = q + 46 + nameLength
            let extraEnd = e + extraLength
            while extraEnd - e >= 4 {
                let id = u(e, 2), size = u(e + 2, 2)
                guard size <= extraEnd - e - 4 else { break }
                if id == 1 {
                    var f = e + 4
                    func next(_ v: inout Int) throws {
                        guard v == 0xFFFF_FFFF else { return }
                        guard f + 8 <= e + 4 + size, let w = Int(exactly: ByteCursor.load(bytes, f, 8)) else {
                            throw error(q, "member '\(path)': zip64 sizes for its saturated fields", found: "a short or negative zip64 field")
                        }
                        v = w
                        f += 8
                    }
                    try next(&usize)
                    try next(&csize)
                    try next(&local)
                }
                e += 4 + size
            }
            guard flags & 1 == 0 else { throw error(q, "member '\(path)' unencrypted", found: "an encrypted member") }
            guard method == 0 || method == 8 else {
                throw error(q, "member '\(path)' stored or deflated", found: "compression method \(method)")
            }
            guard method != 0 || csize == usize else {
                throw error(q, "member '\(path)': equal sizes for a stored member", found: "\(csize) compressed, \(usize) uncompressed")
            }
            guard usize <= Self.maxInflated else {
                throw error(q, "member '\(path)' of at most \(Self.maxInflated) bytes", found: "\(usize)")
            }
            // The local header must sit before the directory, agree on the name, and its data end
            // before the directory starts.
            guard local >= 0, local <= cdOffset - 30, u(local, 4) == 0x0403_4B50 else {
                throw error(q, "member '\(path)': a local header ('PK\\x03\\x04') at byte \(local), before the directory", found:
                            local >= 0 && local <= n - 4 ? "'\(Printable.bytes(bytes[local..<(local + 4)]))'" : "an offset outside the file")
            }
            let localName = u(local + 26, 2), localExtra = u(local + 28, 2)
            let data = local + 30 + localName + localExtra
            guard localName == nameLength, data <= cdOffset, Array(bytes[(local + 30)..<(local + 30 + localName)]) == nameBytes else {
                throw error(local, "the local header of member '\(path)' to repeat its name", found: "another name or length")
            }
            guard csize >= 0, csize <= cdOffset - data else {
                throw error(local, "member '\(path)': \(csize) data bytes from byte \(data), before the directory at \(cdOffset)",
                            found: "\(max(0, cdOffset - data)) bytes")
            }
            index[path] = entries.count
            entries.append(Entry(path: path, method: method, crc: crc, compressedSize: csize, uncompressedSize: usize, dataOffset: data))
            q = entryEnd
        }
    }

    private func error(_ at: Int?, _ expected: String, found: String) -> InputError {
        InputError(file: file, format: Self.format, location: at.map { "byte \($0)" } ?? "", expected: expected, found: found)
    }

    /// The member named `path`, nil when absent.
    func entry(_ path: String) -> Entry? { index[path].map { entries[$0] } }

    /// The bytes of a member, CRC-checked.
    /// - Throws: `InputError` naming the member: a CRC mismatch, a deflate stream that fails or
    ///   inflates to another size than declared.
    func extract(_ e: Entry) throws -> [UInt8] {
        let location = "member \(e.path)"
        let raw = bytes[e.dataOffset..<(e.dataOffset + e.compressedSize)]
        var out: [UInt8]
        if e.method == 0 {
            out = Array(raw)
        } else {
            out = []
            out.reserveCapacity(min(e.uncompressedSize, 1 << 30))
            let source = Data(raw)
            let limit = e.uncompressedSize
            do {
                _ = try Data.decompress(size: Int64(source.count), bufferSize: 1 << 16, skipCRC32: true, provider: { position, size in
                    let start = Int(clamping: position), end = min(source.count, start + size)
                    return start < end ? source.subdata(in: start..<end) : Data()
                }, consumer: { chunk in
                    guard out.count + chunk.count <= limit else { throw InflateOverrun() }
                    out.append(contentsOf: chunk)
                })
            } catch {
                throw InputError(file: file, format: Self.format, location: location, expected: "a deflate stream of \(limit) bytes",
                                 found: error is InflateOverrun ? "more data than declared" : "a damaged stream")
            }
            guard out.count == limit else {
                throw InputError(file: file, format: Self.format, location: location, expected: "\(limit) inflated bytes", found: "\(out.count)")
            }
        }
        let crc = Data(out).crc32(checksum: 0)
        guard crc == e.crc else {
            throw InputError(file: file, format: Self.format, location: location,
                             expected: "CRC-32 \(String(e.crc, radix: 16))", found: "\(String(crc, radix: 16)): the member is damaged")
        }
        return out
    }

    private struct InflateOverrun: Error {}
}
