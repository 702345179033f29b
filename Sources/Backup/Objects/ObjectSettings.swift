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
    var flushSize: Int64
    var maxObjectBytes: Int64
    var partSize: Int
    /// Parts in flight per object. The run's `concurrency` is shared among its open objects, so
    /// memory stays near (open objects × 2 + concurrency) × part size.
    var partConcurrency: Int
    var onInvalidJSON: InvalidJSONPolicy
    /// Shared by the run's writers (all on its read thread).
    let sizes = ObjectSizeHint()

    init(settings: BackupSettings, store: any ObjectStore, layout: StoreLayout, options: PutOptions) {
        self.store = store
        self.layout = layout
        self.options = options
        format = settings.format.value
        compression = settings.compression.value
        flushSize = Int64(settings.flushSize.value)
        maxObjectBytes = settings.maxObjectBytes.value
        partSize = Int(settings.partSize.value)
        partConcurrency = max(1, settings.concurrency.value / max(1, settings.maxOpenObjects.value))
        onInvalidJSON = settings.onInvalidJSON.value
    }
}

/// The size of the run's last closed object, as a guess for the next one's part buffer: a run's
/// objects tend to be alike (one flush size, similar records). A buffer that reaches 256 KiB then
/// grows to the guess in one step, where doubling copied more bytes than the object held (4% of a
/// backup's CPU, page faults included).
final class ObjectSizeHint {
    var lastObjectBytes: Int64 = 0
}
