import Kafka
import Layout
import RecordFormats

/// Encodes one borrowed record into the lines of each stream of an object: the envelope line, or
/// the confluent-json value line plus `.keys.json` / `.headers.json` companion lines when asked.
/// Lines go into reused scratch buffers, so encoding allocates nothing per record.
struct RecordFormatter {
    let format: StoreFormat
    let storeKeys: Bool
    let storeHeaders: Bool
    /// The key style of `.keys.json`: Confluent's `StringConverter`, the usual sink setup.
    static let keyStyle: ConfluentKeyStyle = .string
    /// The most a line buffer keeps between records: more than nearly every record's line.
    static let keptLineCapacity = 1 << 20

    private var json = ConfluentJSONCodec()
    private var companions = ConfluentCompanionCodec()
    private var headerViews: [RecordHeaderView] = []
    /// One buffer per stream, index-aligned with `contents`.
    private(set) var lines: [[UInt8]]

    init(format: StoreFormat, storeKeys: Bool, storeHeaders: Bool) {
        self.format = format
        self.storeKeys = storeKeys && format == .confluentJSON
        self.storeHeaders = storeHeaders && format == .confluentJSON
        lines = Array(repeating: [], count: 1 + (self.storeKeys ? 1 : 0) + (self.storeHeaders ? 1 : 0))
    }

    /// What each stream holds, main object first.
    var contents: [ObjectContent] {
        guard format == .confluentJSON else { return [.envelope] }
        return [.values] + (storeKeys ? [.keys] : []) + (storeHeaders ? [.headers] : [])
    }

    /// Bytes of the current record's lines together.
    var byteCount: Int { lines.reduce(0) { $0 + $1.count } }

    /// Encodes `record` into `lines` (replacing the previous record's). Throws when the format
    /// cannot carry it (confluent-json: a value that is not JSON, a tombstone, a missing key or
    /// headers for the companions); the caller names the record and applies `on-invalid-json`.
    mutating func encode(_ record: KafkaRecordView) throws(RecordLineError) {
        // A buffer that held one huge record is let go, not kept for the rest of the run.
        for index in lines.indices {
            if lines[index].capacity > Self.keptLineCapacity { lines[index] = [] } else { lines[index].removeAll(keepingCapacity: true) }
        }
        headerViews.removeAll(keepingCapacity: true)
        if record.headerCount > 0 {
            record.forEachHeader { name, value in headerViews.append(RecordHeaderView(name: name, value: value)) }
        }
        switch format {
        case .envelope:
            let type: TimestampType
            switch record.timestamp.kind {
            case .createTime: type = .createTime
            case .logAppendTime: type = .logAppendTime
            case .notAvailable: type = .notAvailable
            }
            EnvelopeEncoder.append(
                offset: record.offset, timestamp: record.timestamp.milliseconds, timestampType: type,
                key: record.key, value: record.value, headers: headerViews, to: &lines[0])
        case .confluentJSON:
            do { try json.appendLine(value: record.value, to: &lines[0]) } catch { throw error.located(in: "value") }
            var stream = 1
            if storeKeys {
                do {
                    try companions.appendKeyLine(key: record.key, style: Self.keyStyle, to: &lines[stream])
                } catch { throw error.located(in: "key") }
                stream += 1
            }
            if storeHeaders {
                do { try companions.appendHeadersLine(headers: headerViews, to: &lines[stream]) } catch {
                    throw error.located(in: "headers")
                }
            }
        }
        // The views point into librdkafka's message, valid only during this call.
        headerViews.removeAll(keepingCapacity: true)
    }
}
