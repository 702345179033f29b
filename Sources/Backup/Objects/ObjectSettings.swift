import Foundation
import Layout
import ObjectStore
import JobSpec

/// What every object writer of a run shares: where objects go and how they are cut and uploaded.
struct ObjectSettings {
    var store: any ObjectStore
    var layout: StoreLayout
    var options: PutOptions
    var format: StoreFormat
    var compression: StoreCompression
    /// Gzip objects' settings; nil for uncompressed ones.
    var gzip: ObjectStream.GzipSettings?
    var flushSize: Int64
    var maxObjectBytes: Int64
    var partSize: Int
    /// Parts in flight per object. The run's `concurrency` is shared among its open objects.
    var partConcurrency: Int
    var onInvalidJSON: InvalidJSONPolicy
    /// Before an upload replaces what is at its key: the run's lease must still be its own.
    var beforeReplacing: (@Sendable () async throws -> Void)?
    /// Shared by the run's writers (all on its read thread).
    let sizes = ObjectSizeHint()
    /// Slots for every part buffer of the run: one per stream of each open object, plus `concurrency`
    /// for uploads in flight and closed objects completing. Memory for parts stays within
    /// (max-open-objects × streams + concurrency) × part size, whatever the topic size.
    let buffers: PartBufferLimit

    init(settings: BackupSettings, store: any ObjectStore, layout: StoreLayout, options: PutOptions) {
        self.store = store
        self.layout = layout
        self.options = options
        format = settings.format.value
        compression = settings.compression.value
        gzip = compression == .gzip ? ObjectStream.GzipSettings(level: Int32(settings.compressionLevel.value)) : nil
        flushSize = Int64(settings.flushSize.value)
        maxObjectBytes = settings.maxObjectBytes.value
        partSize = Int(settings.partSize.value)
        partConcurrency = max(1, settings.concurrency.value / max(1, settings.maxOpenObjects.value))
        onInvalidJSON = settings.onInvalidJSON.value
        buffers = PartBufferLimit(slots: Self.partBuffers(settings))
    }

    /// Streams per object (the main object and its companions) × open objects + uploads in flight.
    static func partBuffers(_ settings: BackupSettings) -> Int {
        let companions =
            settings.format.value == .confluentJSON ? (settings.storeKeys.value ? 1 : 0) + (settings.storeHeaders.value ? 1 : 0) : 0
        return max(1, settings.maxOpenObjects.value) * (1 + companions) + max(1, settings.concurrency.value)
    }
}

/// The size of the run's largest closed object so far, as a guess for the next one's part buffer: a
/// run's objects tend to be alike (one flush size, similar records). A buffer starts at the guess,
/// where doubling copied more bytes than the object held (4% of a backup's CPU, page faults
/// included), growing from 256 KiB still copied those (1.4%), and the last object's size was too
/// small for the next one often enough (partitions differ: 1.9-3.0 MB in the benchmark) to cost
/// another copy; pages reserved but never written cost no memory.
final class ObjectSizeHint {
    var largestObjectBytes: Int64 = 0
}
