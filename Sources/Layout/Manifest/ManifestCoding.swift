import Foundation
import TimeText

/// Why a manifest (or another `_ktape/` document) could not be read; one line naming it.
public struct ManifestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The manifest's key or run id.
    public var manifest: String
    public var reason: String
    /// What the document is, for the message: every ktape document is read the same way.
    public var noun: String
    /// A newer ktape wrote it: the fix is an upgrade, not removing it.
    public var isNewerVersion = false
    /// Its seal does not match it (docs/layout.md, "Seals"): ktape wrote it, and it changed since.
    public var changedAfterWrite = false

    public init(
        manifest: String, reason: String, noun: String = "manifest", isNewerVersion: Bool = false, changedAfterWrite: Bool = false
    ) {
        self.manifest = manifest
        self.reason = reason
        self.noun = noun
        self.isNewerVersion = isNewerVersion
        self.changedAfterWrite = changedAfterWrite
    }

    /// The noun of a document in `format` (a lock's or a restore state's error names that, not a manifest).
    static func noun(of format: String) -> String {
        switch format {
        case StoreIndex.formatName: "store index"
        case JobLock.formatName: "job lock"
        case LeaseTable.formatName: "lock"
        case PrunedState.formatName: "prune record"
        case RestoreProgress.formatName: "restore state"
        default: "manifest"
        }
    }

    public var description: String {
        let advice =
            noun == "lock" && !isNewerVersion && !changedAfterWrite
            ? " (a lock ktape did not write; delete it once no ktape run is using the store)" : ""
        return "\(noun) \(manifest): \(reason)\(advice)"
    }
}

extension RunManifest {
    /// Deterministic JSON (sorted keys, indented, dates as RFC 3339 UTC with milliseconds) in the
    /// current version, with every object key made relative to the root of `layout`'s store.
    public func encoded(layout: StoreLayout) throws -> Data {
        Data(try encodedBytes(layout: layout))
    }

    /// `encoded`, as the bytes a store is given. The objects are encoded one at a time into the
    /// document JSONEncoder writes around the first of them, byte for byte what it writes for all:
    /// encoded at once, a run of 200,000 objects held about 3 KB of encoder tree per object.
    public func encodedBytes(layout: StoreLayout) throws -> [UInt8] {
        func relative(_ object: ManifestObject) throws -> ManifestObject {
            try object.withKeys { key in
                guard let relative = layout.relativeKey(key) else {
                    throw ManifestError(
                        manifest: runId.rawValue, reason: "object key '\(key)' is not under the store prefix '\(layout.prefix)'")
                }
                return relative
            }
        }
        var stored = self
        stored.version = Self.currentVersion
        guard let first = objects.first else {
            stored.objects = []
            return DocumentSeal.sealed(Array(try LayoutJSON.encode(stored)))
        }
        stored.objects = [try relative(first)]
        let document = Array(try LayoutJSON.encode(stored))
        // An element of "objects" sits two levels deep: each of its lines four spaces in, but the
        // empty line JSONEncoder writes inside an empty array. (JSON strings hold no raw line breaks.)
        func element(_ object: ManifestObject) throws -> [UInt8] {
            var indented: [UInt8] = []
            var lineStart = true
            for byte in try LayoutJSON.encode(object) {
                if lineStart && byte != 0x0A { indented += [0x20, 0x20, 0x20, 0x20] }
                indented.append(byte)
                lineStart = byte == 0x0A
            }
            return indented
        }
        let firstElement = try element(stored.objects[0])
        guard let at = Self.range(of: firstElement, in: document) else {
            throw ManifestError(manifest: runId.rawValue, reason: "internal: the encoded object was not found in its manifest")
        }
        var bytes = Array(document[..<at.lowerBound])
        bytes.reserveCapacity(document.count + objects.count * firstElement.count * 11 / 10)
        bytes += firstElement
        for object in objects.dropFirst() {
            bytes += [0x2C, 0x0A]  // ",\n"
            bytes += try element(relative(object))
        }
        bytes += document[at.upperBound...]
        return DocumentSeal.sealed(bytes)
    }

    /// Where `needle` first occurs in `haystack`.
    private static func range(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard !needle.isEmpty, needle.count <= haystack.count else { return nil }
        var start = 0
        while start + needle.count <= haystack.count {
            if haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
                return start..<(start + needle.count)
            }
            start += 1
        }
        return nil
    }

    /// Reads a manifest, refusing another format or a newer version first, so that a future
    /// layout is never half-understood, and turns its object keys into keys of `layout`'s store: a
    /// manifest holds them relative to the store root (version 1: under the prefix of the store that
    /// wrote it), so a copy under another prefix or in another bucket reads the same. `name` (its
    /// key) is used in errors.
    public static func decode(_ data: Data, name: String, layout: StoreLayout) throws -> RunManifest {
        try data.withUnsafeBytes { try decode(raw: $0, name: name, layout: layout) }
    }

    /// `decode` of the bytes as a store returns them, without copying them into a `Data` first.
    public static func decode(_ bytes: [UInt8], name: String, layout: StoreLayout) throws -> RunManifest {
        try bytes.withUnsafeBytes { try decode(raw: $0, name: name, layout: layout) }
    }

    private static func decode(raw: UnsafeRawBufferPointer, name: String, layout: StoreLayout) throws -> RunManifest {
        try LayoutJSON.checkSeal(raw, name: name, format: formatName, version: currentVersion)
        var manifest: RunManifest
        if let whole = ManifestBulkDecoding.manifest(raw, version: currentVersion) {
            manifest = whole
        } else if let split = ManifestBulkDecoding.split(raw) {
            manifest = try LayoutJSON.decode(
                RunManifest.self, from: Data(split.rest), name: name, format: formatName, version: currentVersion, checkingSeal: false)
            manifest.objects = split.objects
            manifest.partitions = split.partitions
        } else {
            manifest = try LayoutJSON.decode(
                RunManifest.self, from: Data(raw), name: name, format: formatName, version: currentVersion, checkingSeal: false)
        }
        placeKeys(of: &manifest, in: layout)
        return manifest
    }

    /// Turns the object keys as the manifest holds them into keys of `layout`'s store.
    static func placeKeys(of manifest: inout RunManifest, in layout: StoreLayout) {
        let topicsDir = manifest.store.topicsDir
        let version = manifest.version
        // Keys are replaced in place, and only where they change: with no prefix to add, a version 2
        // key stays as it is, and a copy of each of a million objects would only retain and release.
        for index in manifest.objects.indices {
            let object = (manifest.objects[index].topic, manifest.objects[index].partition)
            func absolute(_ key: String) -> String {
                layout.absoluteKey(
                    version >= 2 ? key : Self.version1Relative(key, topic: object.0, partition: object.1, topicsDir: topicsDir))
            }
            let key = absolute(manifest.objects[index].key)
            if key != manifest.objects[index].key { manifest.objects[index].key = key }
            if !manifest.objects[index].companionKeys.isEmpty {
                manifest.objects[index].companionKeys = manifest.objects[index].companionKeys.map(absolute)
            }
        }
    }

    /// A version 1 key without the prefix it was written under: from `<topics-dir>/<topic>/partition=<p>/`
    /// on. A key without that folder is kept as it is (and refused where it is parsed).
    static func version1Relative(_ key: String, topic: String, partition: Int32, topicsDir: String) -> String {
        let folder = KeyParts.join(topicsDir, topic, "partition=\(partition)") + "/"
        if key.hasPrefix(folder) { return key }
        guard let range = key.range(of: "/" + folder, options: .backwards) else { return key }
        return String(key[key.index(after: range.lowerBound)...])
    }
}

extension ManifestObject {
    /// The object with its key and its companions' keys mapped by `transform`.
    func withKeys(_ transform: (String) throws -> String) rethrows -> ManifestObject {
        var copy = self
        copy.key = try transform(key)
        copy.companionKeys = try companionKeys.map(transform)
        return copy
    }
}

/// The JSON conventions of everything under `_ktape/`: sorted keys, indented, RFC 3339 dates, and
/// a `format`/`version` header checked before anything else is decoded.
enum LayoutJSON {
    struct Header: Decodable {
        var format: String?
        var version: Int?
    }

    /// The header and the document read from one parse of the bytes.
    struct Framed<T: Decodable>: Decodable {
        var header: Header
        var document: T

        init(from decoder: Decoder) throws {
            header = try Header(from: decoder)
            document = try T(from: decoder)
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamps.rfc3339(date))
        }
        return try encoder.encode(value)
    }

    /// `checkingSeal: false` for a caller that checked the seal on the bytes as stored (these are a part of them).
    static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, name: String, format: String, version: Int, checkingSeal: Bool = true
    ) throws -> T {
        if checkingSeal { try data.withUnsafeBytes { try checkSeal($0, name: name, format: format, version: version) } }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamps.parseRFC3339(text) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "'\(text)' is not an RFC 3339 time"))
            }
            return date
        }
        // One parse for a document that decodes (thousands of manifests in a large store); one that
        // does not is parsed again, header first, so its error is the header's when that is at fault.
        if let framed = try? decoder.decode(Framed<T>.self, from: data) {
            try check(framed.header, name: name, format: format, version: version)
            return framed.document
        }
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: data)
        } catch {
            throw ManifestError(manifest: name, reason: "not a JSON object (\(describe(error)))", noun: ManifestError.noun(of: format))
        }
        try check(header, name: name, format: format, version: version)
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw ManifestError(manifest: name, reason: describe(error), noun: ManifestError.noun(of: format))
        }
    }

    static func check(_ header: Header, name: String, format: String, version: Int) throws {
        let noun = ManifestError.noun(of: format)
        guard header.format == format else {
            throw ManifestError(manifest: name, reason: "format is '\(header.format ?? "missing")', expected '\(format)'", noun: noun)
        }
        guard let found = header.version else { throw ManifestError(manifest: name, reason: "no version", noun: noun) }
        guard found <= version else {
            throw ManifestError(
                manifest: name, reason: "version \(found) is newer than this ktape reads (\(version)); upgrade ktape", noun: noun,
                isNewerVersion: true)
        }
    }

    static func describe(_ error: Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "missing field \(path(context)).\(key.stringValue)"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "wrong type at \(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context)?:
            let at = path(context)
            return at.isEmpty ? "not valid JSON: \(context.debugDescription)" : "corrupt at \(at): \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}
