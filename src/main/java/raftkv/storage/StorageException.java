package raftkv.storage;

/**
 * A store that cannot be used: unreadable, corrupt, written by another node, or failing to write.
 * The message is one line meant for an operator. A node never wipes a store it cannot use.
 */
public final class StorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StorageException(String message) {
    super(message);
  }

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
