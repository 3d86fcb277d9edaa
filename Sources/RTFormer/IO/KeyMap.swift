import Foundation

/// Renames state_dict keys before loading: for weights from one's own implementation, whose
/// modules are named differently from SPEC's keys (RTFormer has no public code).
///
/// File format: a JSON list of `{"from": <regex>, "to": <replacement>}` objects, applied in order
/// to every key (each rule replaces all its matches; `$1` in `to` is a capture group), e.g.
/// `[{"from": "\\.proj_bn\\.", "to": ".proj_tsbn."}, {"from": "^layers\\.", "to": "block."}]`.
public struct KeyMap: Sendable {
    /// The rules as written (`from`, `to`), in order.
    public let rules: [(from: String, to: String)]
    /// The file they came from, for messages.
    public let file: String

    /// Builds a map from rules; `file` names it in errors.
    /// - Throws: `InputError` (format "key map") naming the rule whose regex does not compile.
    public init(rules: [(from: String, to: String)], file: String = "<key map>") throws {
        for (i, r) in rules.enumerated() {
            do { _ = try NSRegularExpression(pattern: r.from) } catch {
                throw InputError(file: file, format: "key map", location: "rule \(i + 1)",
                                 expected: "a valid regular expression in \"from\"", found: "'\(r.from)'")
            }
        }
        self.rules = rules
        self.file = file
    }

    /// Reads a key-map JSON file.
    /// - Throws: `InputError` (format "key map") for an unreadable file, invalid JSON, a value
    ///   that is not a list of `{"from": string, "to": string}` objects, or a bad regex.
    public static func load(path: String) throws -> KeyMap {
        let data = try InputBytes.readData(path, format: "key map")
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw InputError(file: path, format: "key map", expected: "a JSON list of {\"from\": regex, \"to\": replacement}",
                             found: "invalid JSON")
        }
        guard let list = parsed as? [Any] else {
            throw InputError(file: path, format: "key map", expected: "a JSON list of {\"from\": regex, \"to\": replacement}",
                             found: "a JSON \(parsed is [String: Any] ? "object" : "value")")
        }
        var rules: [(String, String)] = []
        for (i, item) in list.enumerated() {
            guard let o = item as? [String: Any], let from = o["from"] as? String, let to = o["to"] as? String,
                  Set(o.keys).isSubset(of: ["from", "to"]) else {
                throw InputError(file: path, format: "key map", location: "rule \(i + 1)",
                                 expected: "an object {\"from\": string, \"to\": string}", found: "\(item)".prefix(60).description)
            }
            rules.append((from, to))
        }
        return try KeyMap(rules: rules, file: path)
    }

    /// One key after every rule.
    public func apply(_ key: String) -> String {
        var k = key
        for r in rules {
            // Compiled in init already; a failure here cannot happen.
            guard let re = try? NSRegularExpression(pattern: r.from) else { continue }
            k = re.stringByReplacingMatches(in: k, range: NSRange(k.startIndex..., in: k), withTemplate: r.to)
        }
        return k
    }

    /// Renames `keys` (file order kept).
    /// - Returns: the new keys and how many changed.
    /// - Throws: `InputError` when two keys end up with the same name (naming both).
    public func rename(_ keys: [String]) throws -> (keys: [String], changed: Int) {
        var seen: [String: String] = [:]
        var out: [String] = []
        var changed = 0
        for k in keys {
            let n = apply(k)
            if n != k { changed += 1 }
            if let other = seen[n] {
                throw InputError(file: file, format: "key map", expected: "distinct names after renaming",
                                 found: "'\(other)' and '\(k)' both become '\(n)'")
            }
            seen[n] = k
            out.append(n)
        }
        return (out, changed)
    }
}
