import Layout
import ObjectStore

/// Every planned object's batches in restore order (partition by partition, object by object),
/// decoded one step ahead: while the restore produces one batch, the next one, of the same object,
/// the next object or the next partition, is read and decoded on the pool. Objects are often one
/// batch each, so looking ahead only inside an object would leave nothing to overlap.
final class BatchFeed: @unchecked Sendable {
    struct Item: @unchecked Sendable {
        let slot: Int
        let object: SourceObject
        /// The first item of its object (every object yields one, an empty object an empty batch).
        let startsObject: Bool
        let batch: ObjectRecordReader.Batch
        /// Opening or reading the object failed; raised when its partition gets this far.
        let failure: Error?
    }

    private let partitions: [PartitionPlan]
    private let store: any ObjectStore
    private let options: RestoreOptions
    // Decoding state, touched only by the one decode task running at a time.
    private var slot = 0
    private var objectIndex = 0
    private var reader: ObjectRecordReader?
    private var upcoming: Task<Item?, Never>?
    private var stopped = false

    init(partitions: [PartitionPlan], store: any ObjectStore, options: RestoreOptions) {
        self.partitions = partitions
        self.store = store
        self.options = options
    }

    deinit { upcoming?.cancel() }

    /// The next item of partition `slot`, or nil when that partition has no more. Partitions must be
    /// asked for in plan order.
    func next(for slot: Int) async throws -> Item? {
        if stopped { return nil }
        if upcoming == nil { upcoming = decodeNext() }
        guard let item = await upcoming?.value, item.slot == slot else { return nil }
        if let failure = item.failure {
            stopped = true
            throw failure
        }
        // Not past damage: nothing after a bad line is read, let alone produced.
        if item.batch.damage != nil { stopped = true } else { upcoming = decodeNext() }
        return item
    }

    private func decodeNext() -> Task<Item?, Never> {
        Task { await self.step() }
    }

    private func step() async -> Item? {
        while slot < partitions.count {
            let objects = partitions[slot].objects
            guard objectIndex < objects.count else {
                slot += 1
                objectIndex = 0
                continue
            }
            let object = objects[objectIndex]
            let startsObject = reader == nil
            do {
                if startsObject { reader = try await ObjectRecordReader.open(object, store: store, options: options) }
                if let batch = try await reader?.next() {
                    return Item(slot: slot, object: object, startsObject: startsObject, batch: batch, failure: nil)
                }
            } catch {
                return Item(slot: slot, object: object, startsObject: startsObject,
                            batch: ObjectRecordReader.Batch(records: []), failure: error)
            }
            reader = nil
            objectIndex += 1
            if startsObject {
                return Item(slot: slot, object: object, startsObject: true, batch: ObjectRecordReader.Batch(records: []), failure: nil)
            }
        }
        return nil
    }
}
