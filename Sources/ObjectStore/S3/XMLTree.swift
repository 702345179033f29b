import Foundation

/// Just enough XML for S3's responses: elements, text and the five predefined entities plus
/// numeric references. No DTDs, namespaces are ignored (S3 uses one default namespace).
struct XMLElement {
    var name: String
    var children: [XMLElement] = []
    var text = ""

    /// The first child called `name`.
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// All children called `name`.
    func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child called `name`.
    func value(_ name: String) -> String? { child(name)?.text }
    /// That text without surrounding whitespace, for codes and flags (never for keys, which may have some).
    func trimmedValue(_ name: String) -> String? { value(name)?.trimmingCharacters(in: .whitespacesAndNewlines) }
    /// An `xs:boolean` child: `true` or `1` (any case, any surrounding whitespace).
    func flag(_ name: String) -> Bool { trimmedValue(name).map { ["true", "1"].contains($0.lowercased()) } ?? false }

    /// Parses a document; nil when it is not well-formed enough to read.
    static func parse(_ bytes: [UInt8]) -> XMLElement? {
        var parser = XMLScanner(bytes: bytes)
        return parser.document()
    }

    /// The name of the document's first element, without parsing the rest: S3 may send whitespace
    /// for minutes before the element of a 200 CompleteMultipartUpload, and that element may be <Error>.
    static func rootName(_ bytes: [UInt8]) -> String? {
        var scanner = XMLScanner(bytes: bytes)
        return scanner.firstElementName()
    }

    /// Escapes text for an element body.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

private struct XMLScanner {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() -> XMLElement? {
        var stack: [XMLElement] = [XMLElement(name: "")]
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "<") {
                if starts(with: "<?") {
                    guard skip(past: "?>") else { return nil }
                    continue
                }
                if starts(with: "<!--") {
                    guard skip(past: "-->") else { return nil }
                    continue
                }
                if starts(with: "<![CDATA[") {
                    position += 9
                    let start = position
                    guard skip(past: "]]>") else { return nil }
                    stack[stack.count - 1].text += String(decoding: bytes[start..<(position - 3)], as: UTF8.self)
                    continue
                }
                if starts(with: "<!") {
                    guard skip(past: ">") else { return nil }
                    continue
                }
                guard let end = index(of: UInt8(ascii: ">"), from: position) else { return nil }
                var tag = String(decoding: bytes[(position + 1)..<end], as: UTF8.self)
                position = end + 1
                if tag.hasPrefix("/") {
                    guard stack.count > 1 else { return nil }
                    let done = stack.removeLast()
                    stack[stack.count - 1].children.append(done)
                    continue
                }
                let selfClosing = tag.hasSuffix("/")
                if selfClosing { tag.removeLast() }
                let name = String(tag.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).first ?? "")
                let local = name.split(separator: ":").last.map(String.init) ?? name
                if selfClosing {
                    stack[stack.count - 1].children.append(XMLElement(name: local))
                } else {
                    stack.append(XMLElement(name: local))
                }
            } else {
                let end = index(of: UInt8(ascii: "<"), from: position) ?? bytes.count
                stack[stack.count - 1].text += Self.decodeEntities(String(decoding: bytes[position..<end], as: UTF8.self))
                position = end
            }
        }
        guard stack.count == 1 else { return nil }
        return stack[0].children.first
    }

    mutating func firstElementName() -> String? {
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t") {
                position += 1
                continue
            }
            guard byte == UInt8(ascii: "<") else { return nil }
            if starts(with: "<?") || starts(with: "<!--") || starts(with: "<!") {
                guard skip(past: starts(with: "<?") ? "?>" : starts(with: "<!--") ? "-->" : ">") else { return nil }
                continue
            }
            var end = position + 1
            while end < bytes.count,
                ![UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")]
                    .contains(bytes[end])
            {
                end += 1
            }
            let name = String(decoding: bytes[(position + 1)..<end], as: UTF8.self)
            return name.split(separator: ":").last.map(String.init) ?? name
        }
        return nil
    }

    func starts(with literal: String) -> Bool {
        let utf8 = Array(literal.utf8)
        return position + utf8.count <= bytes.count && Array(bytes[position..<(position + utf8.count)]) == utf8
    }

    mutating func skip(past literal: String) -> Bool {
        let utf8 = Array(literal.utf8)
        var i = position
        while i + utf8.count <= bytes.count {
            if bytes[i] == utf8[0] && Array(bytes[i..<(i + utf8.count)]) == utf8 {
                position = i + utf8.count
                return true
            }
            i += 1
        }
        return false
    }

    func index(of byte: UInt8, from start: Int) -> Int? {
        var i = start
        while i < bytes.count {
            if bytes[i] == byte { return i }
            i += 1
        }
        return nil
    }

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else {
                out += rest[amp...]
                return out
            }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number: UInt32?
                if entity.hasPrefix("#x") {
                    number = UInt32(entity.dropFirst(2), radix: 16)
                } else if entity.hasPrefix("#") {
                    number = UInt32(entity.dropFirst())
                } else {
                    number = nil
                }
                if let number, let scalar = Unicode.Scalar(number) { out.unicodeScalars.append(scalar) } else { out += rest[amp...semi] }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}
