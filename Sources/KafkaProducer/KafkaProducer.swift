// The KafkaProducer module. See ARCHITECTURE.md for its file map.
