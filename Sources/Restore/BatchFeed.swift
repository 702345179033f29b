import Failures
import Foundation
import Layout
import ObjectStore
import RecordFormats

/// Every planned object's batches in restore order (partition by partition, object by object),
/// decoded one step ahead: while the restore produces one batch, the next one, of the same object,
/// the next object or the next partition, is read and decoded on the pool. Objects are often one
/// batch each, so looking ahead only inside an object would leave nothing to overlap. The objects
/// after the current one are opened early too, about one chunk's worth of them, so their first
/// chunks are on their way (a disk read, or an S3 round trip per small object) before their turn.
// @unchecked Sendable: decoding state belongs to the one decode task running at a time; `spares` is under `sparesLock`.
final class BatchFeed: @unchecked Sendable {
    // @unchecked Sendable: immutable; its batch is handed from the decode task to the producing task, never shared.
    struct Item: @unchecked Sendable {
        /// The planned partition (its index in the plan).
        let partition: Int
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
    /// (planned partition, object index) of every object, in restore order.
    private let order: [(partition: Int, index: Int)]
    /// At most this many objects are opened ahead, however small.
    private static let maxAhead = 16
    // Decoding state, touched only by the one decode task running at a time.
    private var position = 0
    private var reader: ObjectRecordReader?
    private var ahead: [(position: Int, reader: Task<ObjectRecordReader, Error>)] = []
    private var upcoming: Task<Item?, Never>?
    private var stopped = false
    /// Batches already produced, whose buffers the next ones decode into: a batch's buffer is about
    /// `batchSize`, and a fresh one per batch is a fresh mapping the kernel zero-fills.
    private let sparesLock = NSLock()
    /// Batches return in bursts (a response confirms several): enough are kept to decode the next ones.
    private static let maxSpares = 4
    private var spares: [RecordBatch] = []

    /// Partitions in `skipping` are not read at all (a finished restore's rerun); nor are the first
    /// `from[p]` objects of partition `p` (a rerun's objects whose records the target holds).
    init(
        partitions: [PartitionPlan], skipping: Set<Int> = [], from: [Int: Int] = [:], store: any ObjectStore,
        options: RestoreOptions
    ) {
        self.partitions = partitions
        self.store = store
        self.options = options
        order = partitions.indices.filter { !skipping.contains($0) }.flatMap { partition in
            partitions[partition].objects.indices.dropFirst(from[partition] ?? 0).map { (partition, $0) }
        }
    }

    deinit {
        upcoming?.cancel()
        for opened in ahead { opened.reader.cancel() }
    }

    /// The next item of planned partition `partition`, or nil when that partition has no more. Partitions must be
    /// asked for in plan order.
    func next(for partition: Int) async throws -> Item? {
        if stopped { return nil }
        if upcoming == nil { upcoming = decodeNext() }
        guard let item = await upcoming?.value, item.partition == partition else { return nil }
        if let failure = item.failure {
            stopped = true
            throw failure
        }
        // Not past damage: nothing after a bad line is read, let alone produced.
        if item.batch.damage != nil { stopped = true } else { upcoming = decodeNext() }
        return item
    }

    /// Takes back a batch whose records are produced and reported (from any thread).
    func recycle(_ records: RecordBatch) {
        sparesLock.withLock { if spares.count < Self.maxSpares { spares.append(records) } }
    }

    private func spare() -> RecordBatch {
        sparesLock.withLock { spares.popLast() } ?? RecordBatch()
    }

    private func decodeNext() -> Task<Item?, Never> {
        Task { await self.step() }
    }

    private func step() async -> Item? {
        while position < order.count {
            let (partition, index) = order[position]
            let object = partitions[partition].objects[index]
            let startsObject = reader == nil
            do {
                if startsObject { reader = try await openReader() }
                var batch = ObjectRecordReader.Batch(records: spare())
                let more = try await reader?.next(into: &batch) ?? false
                batch.damage = batch.damage?.found(in: object)
                if more { return Item(partition: partition, object: object, startsObject: startsObject, batch: batch, failure: nil) }
                recycle(batch.records)
            } catch {
                return Item(
                    partition: partition, object: object, startsObject: startsObject,
                    batch: ObjectRecordReader.Batch(records: RecordBatch()),
                    failure: (error as? RunFailure)?.found(in: object) ?? error)
            }
            reader = nil
            position += 1
            if startsObject {
                return Item(
                    partition: partition, object: object, startsObject: true, batch: ObjectRecordReader.Batch(records: RecordBatch()),
                    failure: nil)
            }
        }
        return nil
    }

    /// The reader of the object at `position` (opened ahead, or now), after opening the ones behind it
    /// up to about one chunk of bytes in all.
    private func openReader() async throws -> ObjectRecordReader {
        let current = ahead.first?.position == position ? ahead.removeFirst().reader : open(position)
        func firstChunk(_ position: Int) -> Int64 {
            let (partition, index) = order[position]
            return min(partitions[partition].objects[index].bytes, Int64(options.chunkSize))
        }
        var bytes = ahead.reduce(Int64(0)) { $0 + firstChunk($1.position) }
        var next = (ahead.last?.position ?? position) + 1
        while next < order.count && ahead.count < Self.maxAhead
            && (ahead.isEmpty || bytes + firstChunk(next) <= Int64(options.chunkSize))
        {
            ahead.append((next, open(next)))
            bytes += firstChunk(next)
            next += 1
        }
        return try await current.value
    }

    private func open(_ position: Int) -> Task<ObjectRecordReader, Error> {
        let (partition, index) = order[position]
        let object = partitions[partition].objects[index]
        let store = self.store
        let options = self.options
        return Task { try await ObjectRecordReader.open(object, store: store, options: options) }
    }
}
