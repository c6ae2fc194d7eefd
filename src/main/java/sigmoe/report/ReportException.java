package sigmoe.report;

/**
 * A problem with a run directory's contents that the user must fix (missing directory, missing or malformed
 * metrics.jsonl, unreadable config.conf). The message names the file and, for metrics, the line.
 */
public final class ReportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ReportException(String message) {
        super(message);
    }

    public ReportException(String message, Throwable cause) {
        super(message, cause);
    }
}
