extension String {
    /// The NUL-terminated text librdkafka wrote into `buffer` (all of it when no NUL came).
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Without the line end some of librdkafka's reasons carry, in 2.0 written out as the two
    /// characters `\n` ("... outside allowed range 1000..1000000000\n"): they go inside one line.
    var withoutLineEnd: String {
        var text = Substring(self)
        while true {
            if text.hasSuffix("\\n") {
                text = text.dropLast(2)
            } else if let last = text.last, last.isWhitespace {
                text = text.dropLast()
            } else {
                return String(text)
            }
        }
    }
}
