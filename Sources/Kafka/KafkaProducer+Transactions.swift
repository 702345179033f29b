import CRdKafka

extension KafkaProducer {
    /// Registers the `transactional.id` with the cluster and aborts what a previous instance left open.
    public func initTransactions(timeoutMilliseconds: Int32 = 30_000) throws {
        try KafkaError.check(rd_kafka_init_transactions(client.handle, timeoutMilliseconds), "init transactions")
    }

    /// Starts a transaction; records produced until commit or abort belong to it.
    public func beginTransaction() throws {
        try KafkaError.check(rd_kafka_begin_transaction(client.handle), "begin transaction")
    }

    /// Flushes and commits the current transaction.
    public func commitTransaction(timeoutMilliseconds: Int32 = 60_000) throws {
        try KafkaError.check(rd_kafka_commit_transaction(client.handle, timeoutMilliseconds), "commit transaction")
    }

    /// Aborts the current transaction; its records are never seen by read_committed readers.
    public func abortTransaction(timeoutMilliseconds: Int32 = 60_000) throws {
        try KafkaError.check(rd_kafka_abort_transaction(client.handle, timeoutMilliseconds), "abort transaction")
    }
}
