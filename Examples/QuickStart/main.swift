// Kafka's Java quick-start (the KafkaProducer javadoc), ported line for line:
//
//   Properties props = new Properties();
//   props.put("bootstrap.servers", "localhost:9092");
//   props.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
//   props.put("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
//   Producer<String, String> producer = new KafkaProducer<>(props);
//   for (int i = 0; i < 100; i++)
//       producer.send(new ProducerRecord<String, String>("my-topic", Integer.toString(i), Integer.toString(i)));
//   producer.close();
//
// Run: swift run quick-start [bootstrap servers] [topic]   (or quick-start --properties producer.properties [topic])
import KafkaProducer

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
var props: [String: String] = [:]
var topic = "my-topic"
if arguments.first == "--properties", arguments.count >= 2 {
    // A producer.properties file copied from a Java service works as it is.
    guard let file = fopen(arguments[1], "r") else {
        print("cannot open \(arguments[1])")
        exit(1)
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while case let count = fread(&chunk, 1, chunk.count, file), count > 0 { bytes += chunk[0..<count] }
    fclose(file)
    props = try JavaProperties.parse(bytes)
    if arguments.count >= 3 { topic = arguments[2] }
} else {
    props["bootstrap.servers"] = arguments.first ?? "localhost:9092"
    props["key.serializer"] = "org.apache.kafka.common.serialization.StringSerializer"
    props["value.serializer"] = "org.apache.kafka.common.serialization.StringSerializer"
    if arguments.count >= 2 { topic = arguments[1] }
}
let producer = try KafkaProducer(properties: props)
for i in 0..<100 {
    try producer.send(ProducerRecord(topic: topic, key: String(i), value: String(i))) { result in
        if case .failure(let error) = result { print("not delivered: \(error)") }
    }
}
let everythingDelivered = await producer.close()
print(everythingDelivered ? "sent 100 records to \(topic)" : "some records were not delivered")
exit(everythingDelivered ? 0 : 1)
