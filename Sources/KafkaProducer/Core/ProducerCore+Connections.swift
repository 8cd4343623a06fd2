import KafkaWire
import Logging
import NIOCore
import NIOPosix

extension ProducerCore {
    /// The connection for `node`, if one exists.
    func connection(for node: Int32) -> BrokerConnection? {
        connections.first { $0.node == node }
    }

    /// Opens a connection to `node` (its address from metadata) unless one is open or backing off.
    func connect(node: Int32) {
        guard !closed else { return }
        let existing = connection(for: node)
        let target: BrokerConnection
        if let existing {
            target = existing
        } else {
            guard let address = metadata.address(of: node) else {
                metadataSchedule.want()
                requestMetadataIfNeeded()
                return
            }
            target = BrokerConnection(
                node: node, address: address, reconnectBackoff: reconnectBackoff(seed: UInt64(bitPattern: Int64(node))),
                sasl: configuration.sasl)
            connections.append(target)
        }
        open(target)
    }

    /// Starts a connection attempt if the connection's state machine allows one now.
    func open(_ connection: BrokerConnection) {
        guard connection.machine.connect(now: clock()) == .openSocket else { return }
        connection.generation += 1
        connection.failure = nil
        let generation = connection.generation
        let frames = KafkaFrameDecoder(maximumFrameSize: KafkaFrameDecoder.defaultMaximumFrameSize)
        // The core's handlers, last in the pipeline: whatever the connector adds (TLS) comes first.
        let initialize: @Sendable (any Channel) -> EventLoopFuture<Void> = { [self] channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameByteDecoder(
                    frames: frames, limit: { connection.generation == generation ? connection.maximumResponseSize(correlationId: $0) : nil })))
                try channel.pipeline.syncOperations.addHandler(BrokerChannelHandler(callbacks: .init(
                    frame: { frame in self.frameReceived(frame, connection: connection, generation: generation) },
                    closed: { error in self.connectionClosed(connection, generation: generation, error: error) })))
            }
        }
        logger.debug("connecting", metadata: ["kafka.node": "\(connection.node)", "kafka.broker": "\(connection.address)"])
        connector.connect(to: connection.address, on: eventLoop, initialize: initialize).whenComplete { [self] result in
            guard connection.generation == generation else { return }
            switch result {
            case .success(let channel):
                if closed {
                    channel.close(promise: nil)
                    return
                }
                connection.channel = channel
                handshake(connection, connection.machine.socketOpened())
            case .failure(let error):
                counters.connectionFailures.wrappingAdd(1, ordering: .relaxed)
                let line = connectionFailures.failed(
                    broker: "\(connection.address)", error: "\(error)", now: clock())
                logConnection(line, node: connection.node)
                unreachable.withLock { $0 = connectionFailures.unreachable }
                connection.machine.closed(now: clock())
                if connection.node < 0 { metadataSchedule.bootstrapFailed() }
                rescheduleTimer()
            }
        }
    }

    /// Performs a handshake action.
    func handshake(_ connection: BrokerConnection, _ action: ConnectionStateMachine.Action) {
        switch action {
        case .openSocket:
            open(connection)
        case .sendApiVersions(let version):
            let request = ApiVersionsRequest(clientSoftwareName: "ferry", clientSoftwareVersion: FerryVersion.current)
            write(request, version: version, on: connection, pending: .apiVersions(version: version))
        case .sendSaslHandshake(let version, let mechanism):
            write(SaslHandshakeRequest(mechanism: mechanism), version: version, on: connection, pending: .saslHandshake(version: version))
        case .sendSaslAuthenticate(let version, let bytes):
            write(SaslAuthenticateRequest(authBytes: bytes), version: version, on: connection, pending: .saslAuthenticate(version: version))
        case .ready(let versions):
            // Not yet "connected" for the failure log: that waits for the broker's first answer to a request
            // of ours (``confirm(_:)``), as a listener may take the handshake and then close the socket.
            logger.debug(
                "broker ready",
                metadata: ["kafka.node": "\(connection.node)", "kafka.produce_version": "\(versions.produce)"])
            if connection.node >= 0 {
                run(sender.nodeReady(connection.node, produceVersion: versions.produce, now: clock()))
            }
            requestMetadataIfNeeded()
            run(sender.drain(now: clock()))
        case .fail(let reason):
            // Logged by `connectionClosed`, through the failure log (once, then a count a minute).
            connection.failure = reason
            connection.channel?.close(promise: nil)
        }
    }

    /// The broker answered a request after the handshake: the connection works (logged if it had failed).
    func confirm(_ connection: BrokerConnection) {
        guard !connection.machine.confirmed else { return }
        connection.machine.confirm()
        if let line = connectionFailures.connected(broker: "\(connection.address)") {
            logConnection(line, node: connection.node)
            unreachable.withLock { $0 = connectionFailures.unreachable }
        }
    }

    /// Encodes a request and writes it, remembering what its answer will be.
    func write<Request: KafkaRequest>(
        _ request: Request, version: Int16, on connection: BrokerConnection, pending: BrokerConnection.Pending
    ) {
        guard let channel = connection.channel else { return }
        let correlationId = connection.correlationId()
        var buffer = channel.allocator.buffer(capacity: 128)
        do {
            try KafkaFrame.encodeRequest(
                request, version: version, correlationId: correlationId, clientId: configuration.clientId, into: &buffer)
        } catch {
            logger.error("cannot encode a request", metadata: ["kafka.api": "\(Request.apiKey)", "error": "\(error)"])
            return
        }
        connection.pending[correlationId] = pending
        connection.deadlines[correlationId] = clock() + ProducerConfiguration.nanoseconds(milliseconds: configuration.requestTimeoutMs)
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// A response frame arrived on `connection`.
    func frameReceived(_ frame: ByteBuffer, connection: BrokerConnection, generation: Int) {
        guard connection.generation == generation, let correlationId = KafkaFrame.peekCorrelationId(frame) else { return }
        connection.deadlines[correlationId] = nil
        guard let pending = connection.pending.removeValue(forKey: correlationId) else {
            logger.error(
                "response with an unknown correlation id; closing the connection",
                metadata: ["kafka.node": "\(connection.node)", "kafka.correlation_id": "\(correlationId)"])
            connection.channel?.close(promise: nil)
            return
        }
        let now = clock()
        do {
            switch pending {
            case .apiVersions(let version):
                let body = try? KafkaFrame.decodeResponse(ApiVersionsResponse.self, version: version, frame: frame).body
                let fallback = body ?? (try? KafkaFrame.decodeResponse(ApiVersionsResponse.self, version: 0, frame: frame).body)
                handshake(connection, connection.machine.apiVersionsReceived(fallback, version: version))
            case .saslHandshake(let version):
                let body = try? KafkaFrame.decodeResponse(SaslHandshakeResponse.self, version: version, frame: frame).body
                handshake(connection, connection.machine.saslHandshakeReceived(body))
            case .saslAuthenticate(let version):
                let body = try? KafkaFrame.decodeResponse(SaslAuthenticateResponse.self, version: version, frame: frame).body
                handshake(connection, connection.machine.saslAuthenticateReceived(body))
            case .metadata(let version, let topics):
                let body = try KafkaFrame.decodeResponse(MetadataResponse.self, version: version, frame: frame).body
                confirm(connection)
                metadataReceived(body, topics: topics, from: connection)
            case .produce(let requestID, let version, _):
                let body = try KafkaFrame.decodeResponse(ProduceResponse.self, version: version, frame: frame).body
                confirm(connection)
                if body.throttleTimeMs > 0 {
                    logger.debug("broker throttles us", metadata: ["kafka.throttle_ms": "\(body.throttleTimeMs)"])
                }
                run(sender.produceResponse(requestID, body, now: now))
            case .initProducerId(let version, _):
                let body = try KafkaFrame.decodeResponse(InitProducerIdResponse.self, version: version, frame: frame).body
                confirm(connection)
                switch producerIds.answer(error: body.error, producerId: body.producerId, epoch: body.producerEpoch, now: now) {
                case .granted(let identity):
                    logger.info("producer id", metadata: ["kafka.producer_id": "\(identity.producerId)", "kafka.epoch": "\(identity.epoch)"])
                    run(sender.identityReceived(identity, now: now))
                case .invalid(let producerId, let epoch):
                    logger.warning(
                        "InitProducerId answered an invalid producer id; asking again",
                        metadata: ["kafka.producer_id": "\(producerId)", "kafka.epoch": "\(epoch)"])
                    run(sender.identityFailed(.unknownServerError, message: "invalid producer id \(producerId)/\(epoch)", now: now))
                case .refused(let code, let warn):
                    if warn { logger.warning("InitProducerId refused; asking again", metadata: ["kafka.error_code": "\(code)"]) }
                    run(sender.identityFailed(code, message: "\(code)", now: now))
                }
            }
        } catch {
            // A malformed answer: nothing on this connection can be trusted any more.
            logger.error(
                "undecodable response; closing the connection",
                metadata: ["kafka.node": "\(connection.node)", "error": "\(error)"])
            connection.pending[correlationId] = pending
            connection.channel?.close(promise: nil)
        }
    }

    /// The connection closed (or failed): fail what was pending on it, retry later.
    func connectionClosed(_ connection: BrokerConnection, generation: Int, error: Error?) {
        // A channel the connector never handed over (its TLS handshake failed) is the connector's failure,
        // reported once, by `open`; counting its close too would log it twice and skip a bootstrap server.
        guard connection.generation == generation, connection.channel != nil else { return }
        let now = clock()
        let wasReady = connection.machine.isReady
        let worked = connection.machine.confirmed
        connection.channel = nil
        connection.machine.closed(now: now)
        counters.connectionFailures.wrappingAdd(1, ordering: .relaxed)
        if !closed && !worked {
            // Closed before the broker answered a request of ours: a failed attempt, logged as
            // ConnectionFailureLog says (not once per reconnect), with what to do about it.
            let reason = connection.failure ?? explainEarlyClose(error, afterHandshake: wasReady, address: connection.address)
            let line = connectionFailures.failed(broker: "\(connection.address)", error: reason, now: now)
            logConnection(line, node: connection.node)
            unreachable.withLock { $0 = connectionFailures.unreachable }
        } else if !closed {
            logger.warning(
                "connection to broker closed",
                metadata: ["kafka.node": "\(connection.node)", "kafka.broker": "\(connection.address)",
                           "error": "\(error.map { "\($0)" } ?? "closed by peer")"])
        }
        let pending = connection.pending
        connection.pending = [:]
        connection.deadlines = [:]
        var identityLost = false
        for (_, item) in pending {
            switch item {
            case .metadata:
                metadataSchedule.requestLost()
            case .initProducerId:
                identityLost = true
            case .apiVersions, .produce, .saslHandshake, .saslAuthenticate:
                break
            }
        }
        if connection.node < 0 && !worked { metadataSchedule.bootstrapFailed() }
        guard !closed else { return }
        if connection.node >= 0 { run(sender.nodeDown(connection.node, now: now)) }
        if identityLost { run(sender.identityFailed(.networkException, message: "connection lost", now: now)) }
        if connection.node >= 0 { metadataSchedule.want() }
        requestMetadataIfNeeded()
        rescheduleTimer()
    }

    // MARK: - Metadata

    /// Sends a Metadata request for every topic of interest if one is wanted and none is out, or opens a
    /// connection to ask on, as ``MetadataScheduler`` decides.
    func requestMetadataIfNeeded() {
        let now = clock()
        // Called on every timer tick and connection event: the candidates are built only when a request is due.
        guard !closed, metadataSchedule.isDue(now: now) else { return }
        var decision = metadataSchedule.decide(
            connections: metadataCandidates, bootstrapServers: configuration.bootstrapServers, now: now)
        if case .addBootstrapServers(let addresses) = decision {
            for address in addresses {
                let index = configuration.bootstrapServers.firstIndex(of: address) ?? 0
                connections.append(BrokerConnection(
                    node: -Int32(index) - 1, address: address, reconnectBackoff: reconnectBackoff(seed: UInt64(index)),
                    sasl: configuration.sasl))
            }
            decision = metadataSchedule.decide(
                connections: metadataCandidates, bootstrapServers: configuration.bootstrapServers, now: now)
        }
        switch decision {
        case .wait, .addBootstrapServers:
            return
        case .open(let index):
            open(connections[index])
        case .send(let index):
            let connection = connections[index]
            guard let version = connection.machine.versions?.metadata else { return }
            let topics = accumulator.topicNames.sorted()
            metadataSchedule.requestSent()
            write(
                MetadataRequest(topicNames: topics, allowAutoTopicCreation: configuration.allowAutoCreateTopics), version: version,
                on: connection, pending: .metadata(version: version, topics: topics))
        }
    }

    /// The connections as ``MetadataScheduler`` sees them, in the same order.
    private var metadataCandidates: [MetadataScheduler.Candidate] {
        connections.map {
            MetadataScheduler.Candidate(
                node: $0.node, isReady: $0.isReady, canAskMetadata: $0.machine.versions?.metadata != nil,
                hasChannel: $0.channel != nil, retryAt: $0.machine.retryAt, address: $0.address)
        }
    }

    /// Applies metadata: brokers, leaders, partition counts; adopts bootstrap connections as real nodes.
    func metadataReceived(_ response: MetadataResponse, topics: [String], from source: BrokerConnection) {
        let now = clock()
        let update = metadata.apply(response, requested: topics)
        counters.metadataResponses.wrappingAdd(1, ordering: .relaxed)
        for problem in metadata.problems {
            logger.warning("metadata from the broker partly ignored", metadata: ["kafka.node": "\(source.node)", "problem": "\(problem)"])
        }
        metadataSchedule.responseApplied(incomplete: update.incomplete, now: now)
        // A bootstrap connection whose address a broker advertises becomes that broker's connection.
        for bootstrap in connections where bootstrap.node < 0 {
            if let node = metadata.node(at: bootstrap.address), connection(for: node) == nil {
                bootstrap.node = node
                if bootstrap.isReady, let versions = bootstrap.machine.versions {
                    run(sender.nodeReady(node, produceVersion: versions.produce, now: now))
                }
            }
        }
        for (topic, info) in update.topics {
            accumulator.updateTopic(topic, partitionCount: info.count, available: info.available, error: info.error)
        }
        run(sender.leadersChanged(update.leaders, now: now))
        rescheduleTimer()
    }

    // MARK: - Producer id

    /// Sends InitProducerId (a bump of `bumping` when the broker supports it) as ``ProducerIdPlanner`` decides.
    func sendInitProducerId(bumping: ProducerIdentity?) {
        let candidates = connections.map {
            ProducerIdPlanner.Candidate(isReady: $0.isReady, initProducerIdVersion: $0.machine.versions?.initProducerId)
        }
        switch producerIds.request(bumping: bumping, candidates: candidates) {
        case .noConnection(let wantMetadata):
            // Nothing ready that supports it yet; come back when a connection is.
            if wantMetadata {
                metadataSchedule.want()
                requestMetadataIfNeeded()
            }
            run(sender.identityFailed(.networkException, message: "no broker connection ready", now: clock()))
        case .cannotBump:
            // The sender falls back to a fresh producer id, which resets the sequences just as well.
            run(sender.identityFailed(.unsupportedVersion, message: "epoch bump needs InitProducerId v3", now: clock()))
        case .send(let index, let version, let producerId, let epoch):
            let request = InitProducerIdRequest(
                transactionalId: nil, transactionTimeoutMs: -1, producerId: producerId, producerEpoch: epoch)
            write(request, version: version, on: connections[index], pending: .initProducerId(version: version, bumping: producerId >= 0))
        }
    }

    /// Why a connection closed before the broker answered a request of ours, in words a person can act on.
    /// `afterHandshake`: the broker had answered ApiVersions (and SASL, if any).
    func explainEarlyClose(_ error: (any Error)?, afterHandshake: Bool, address: BrokerAddress) -> String {
        if afterHandshake {
            let what = error.map { "\($0)" } ?? "closed by the broker"
            if configuration.sasl == nil {
                // What a SASL listener does with a request from a client that did not authenticate.
                return "the broker closed the connection after ApiVersions, before answering a request (\(what)): if \(address) is a SASL listener, set security.protocol=SASL_PLAINTEXT or SASL_SSL and sasl.mechanism"
            }
            return "the broker closed the connection after authenticating, before answering a request (\(what))"
        }
        if configuration.securityProtocol.usesTLS {
            if let error { return TLSConnector.explain(error, address: address) }
            return "the connection closed over TLS before the broker answered ApiVersions: the listener may require SASL, or a client certificate it trusts"
        }
        let what = error.map { "\($0)" } ?? "closed by the broker"
        // What a TLS (or SASL) listener does with a plaintext ApiVersions request.
        return "the connection closed before the broker answered ApiVersions (\(what)): if \(address) is a TLS listener, set security.protocol=SSL"
    }

    /// Logs what ``ConnectionFailureLog`` decided.
    func logConnection(_ line: ConnectionFailureLog.Line?, node: Int32) {
        switch line {
        case nil:
            break
        case .failed(let broker, let error)?:
            logger.warning("cannot connect to broker", metadata: ["kafka.node": "\(node)", "kafka.broker": "\(broker)", "error": "\(error)"])
        case .stillFailing(let broker, let error, let attempts)?:
            logger.warning(
                "still cannot connect to broker",
                metadata: [
                    "kafka.node": "\(node)", "kafka.broker": "\(broker)", "error": "\(error)",
                    "attempts": "\(attempts)", "since": "the last report",
                ])
        case .reachedAgain(let broker, let attempts)?:
            logger.notice(
                "connected to broker", metadata: ["kafka.node": "\(node)", "kafka.broker": "\(broker)", "failed_attempts": "\(attempts)"])
        }
    }
}
