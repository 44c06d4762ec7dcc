package raftkv.http;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import raftkv.api.NodeAddress;
import raftkv.common.CborSerializable;
import raftkv.common.Endpoint;

/**
 * Tells other nodes where this node's HTTP API is: a node knows its peers' Raft addresses only, and
 * a follower that redirects a write ({@code raftkv.http.follower-writes = redirect}) needs the
 * leader's HTTP address. One actor per node, at {@code /system/}{@value #NAME}, started once the
 * API is bound.
 */
final class HttpAddressBook {
  static final String NAME = "http-address";

  record Get(ActorRef<Address> replyTo) implements CborSerializable {}

  /** {@code url}: scheme, host and port, e.g. {@code http://127.0.0.1:10001}. */
  record Address(String url) implements CborSerializable {}

  private HttpAddressBook() {}

  static Behavior<Get> behavior(String url) {
    return Behaviors.receiveMessage(get -> {
      get.replyTo().tell(new Address(url));
      return Behaviors.same();
    });
  }

  /** The actor path of this actor on the node whose Raft address is {@code e}. */
  static String path(Endpoint e) {
    return "akka://" + NodeAddress.SYSTEM_NAME + "@" + e.host() + ":" + e.port() + "/system/" + NAME;
  }
}
