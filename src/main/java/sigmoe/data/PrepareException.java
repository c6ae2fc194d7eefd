package sigmoe.data;

/**
 * A problem with the user's request or data that the prepare job reports as one message (no stack trace):
 * {@code usage} problems (bad or inconsistent options, an existing output) are found before any work starts;
 * the others (invalid UTF-8, a byte missing from train, an empty split) while the data is read.
 */
public final class PrepareException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean usage;

    private PrepareException(String message, boolean usage) {
        super(message);
        this.usage = usage;
    }

    /** Bad or inconsistent options: the command line must change. */
    public static PrepareException usage(String message) {
        return new PrepareException(message, true);
    }

    /** Bad input data. */
    public static PrepareException data(String message) {
        return new PrepareException(message, false);
    }

    public boolean isUsage() {
        return usage;
    }
}
