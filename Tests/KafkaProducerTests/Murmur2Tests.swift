import KafkaProducer
import Testing

/// The Java client's keyed partitioning, byte for byte.
@Suite("murmur2 partitioning")
struct Murmur2Tests {
    /// Published vectors of `Utils.murmur2` (Apache Kafka's UtilsTest.testMurmur2).
    @Test("published murmur2 vectors", arguments: [
        ("21", Int32(-973932308)), ("foobar", -790332482), ("a-little-bit-long-string", -985981536),
        ("a-little-bit-longer-string", -1486304829), ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
        ("abc", 479470107),
    ])
    func published(key: String, hash: Int32) {
        #expect(Murmur2.hash(Array(key.utf8)) == hash)
    }

    /// 56 keys (ASCII, empty, multi-byte UTF-8, control characters, every length mod 4): the hash and the
    /// partition `toPositive(murmur2(key)) % n` for n = 1, 3, 7, 12, 100.
    ///
    /// Expected values computed with kafka-python 3.0.12's `kafka.partitioner.default.murmur2`, an
    /// independent implementation of the Java algorithm (`(murmur2(key) & 0x7fffffff) % n`).
    static let vectors: [(String, Int32, [Int32])] = [
        ("key-0", 29210041, [0, 1, 0, 1, 41]),
        ("key-1", 193331640, [0, 0, 5, 0, 40]),
        ("key-2", 852269702, [0, 2, 4, 2, 2]),
        ("key-3", -1839136101, [0, 2, 4, 11, 47]),
        ("key-4", 647367033, [0, 0, 5, 9, 33]),
        ("key-5", -1698326880, [0, 2, 4, 8, 68]),
        ("key-6", -758453868, [0, 2, 5, 8, 80]),
        ("key-7", 713419675, [0, 1, 3, 7, 75]),
        ("key-8", -1340033413, [0, 1, 4, 7, 35]),
        ("key-9", -1335190451, [0, 0, 2, 9, 97]),
        ("key-10", 1368331310, [0, 2, 3, 2, 10]),
        ("key-11", 159536065, [0, 1, 3, 1, 65]),
        ("key-12", 217931240, [0, 2, 2, 8, 40]),
        ("key-13", 1711107085, [0, 1, 2, 1, 85]),
        ("key-14", -1669560592, [0, 1, 2, 4, 56]),
        ("key-15", 294428499, [0, 0, 1, 3, 99]),
        ("key-16", -2035047247, [0, 1, 0, 1, 1]),
        ("key-17", 956945460, [0, 0, 2, 0, 60]),
        ("key-18", 1853115137, [0, 2, 6, 5, 37]),
        ("key-19", -1594098818, [0, 0, 5, 6, 30]),
        ("", 275646681, [0, 0, 2, 9, 81]),
        ("a", -1563381124, [0, 1, 5, 4, 24]),
        ("ab", 316155434, [0, 2, 0, 2, 34]),
        ("abc", 479470107, [0, 0, 4, 3, 7]),
        ("abcd", -1323649548, [0, 2, 5, 8, 0]),
        ("abcde", 461995741, [0, 1, 4, 1, 41]),
        ("user:42", -1493546323, [0, 1, 6, 1, 25]),
        ("host-01.example.com", -1794985534, [0, 1, 3, 10, 14]),
        ("/var/log/syslog", -2102405925, [0, 2, 5, 11, 23]),
        ("/var/log/nginx/access.log", -1615157955, [0, 2, 4, 5, 93]),
        ("ünïcödé", 201421315, [0, 1, 4, 7, 15]),
        ("日本語", 1431860170, [0, 1, 6, 10, 70]),
        ("🚀", 761778625, [0, 1, 6, 1, 25]),
        ("order-000123", 292724393, [0, 2, 3, 5, 93]),
        ("ORDER-000123", -1948376585, [0, 0, 1, 3, 63]),
        ("session_7f3a9c", -1908623276, [0, 0, 2, 0, 72]),
        ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1249054468, [0, 1, 4, 4, 68]),
        ("0", 971027396, [0, 2, 3, 8, 96]),
        ("00", 895171352, [0, 2, 5, 8, 52]),
        ("000", -195066456, [0, 2, 5, 8, 92]),
        ("-1", 1531782027, [0, 0, 6, 3, 27]),
        ("2147483647", -427214283, [0, 2, 3, 5, 65]),
        ("kafka", -798503068, [0, 1, 3, 4, 80]),
        ("Kafka", 824573139, [0, 0, 5, 3, 39]),
        ("ferry", 1084904839, [0, 1, 4, 7, 39]),
        ("lines", 677676729, [0, 0, 2, 9, 29]),
        ("the quick brown fox", 2136040129, [0, 1, 6, 1, 29]),
        ("192.168.0.1", -1941571079, [0, 0, 2, 9, 69]),
        ("::1", 1029396713, [0, 2, 2, 5, 13]),
        ("null", -75681477, [0, 2, 5, 11, 71]),
        ("true", -1452041902, [0, 1, 6, 10, 46]),
        ("false", 1409522915, [0, 2, 3, 11, 15]),
        ("key with spaces", 1291295160, [0, 0, 1, 0, 60]),
        ("tab\tkey", -1031624314, [0, 1, 2, 10, 34]),
        ("newline\nkey", 1239371373, [0, 0, 2, 9, 73]),
        ("long-key-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 1763221327, [0, 1, 0, 7, 27]),
    ]

    @Test("56 keys land where the Java client puts them, for 5 partition counts")
    func javaCompatiblePartitions() {
        #expect(Self.vectors.count >= 50)
        for (key, hash, partitions) in Self.vectors {
            let bytes = Array(key.utf8)
            #expect(Murmur2.hash(bytes) == hash, "hash of \(key.debugDescription)")
            for (count, expected) in zip([Int32(1), 3, 7, 12, 100], partitions) {
                #expect(Murmur2.partition(forKey: bytes, partitionCount: count) == expected, "\(key.debugDescription) % \(count)")
            }
        }
    }
}
