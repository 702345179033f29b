import Foundation
import Layout
import ObjectStore

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
