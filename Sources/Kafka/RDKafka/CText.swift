extension String {
    /// The NUL-terminated text librdkafka wrote into `buffer` (all of it when no NUL came).
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
