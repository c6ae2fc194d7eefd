package sigmoe.config;

/**
 * A run configuration that cannot be used. The message is one paragraph meant for the user: it names the key, the
 * value, where it came from, and the valid values or range; command-line tools print it without a stack trace.
 */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) { super(message); }
}
