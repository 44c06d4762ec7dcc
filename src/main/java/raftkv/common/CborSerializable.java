package raftkv.common;

/**
 * Marker for every message that crosses a JVM boundary. It is bound to Akka's {@code jackson-cbor}
 * serializer in {@code application.conf}; Java serialization stays off.
 */
public interface CborSerializable {}
