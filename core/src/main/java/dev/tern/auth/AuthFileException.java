package dev.tern.auth;

/**
 * A password or ACL file could not be parsed. The message names the file and the 1-based line number, so an operator
 * can fix the file from the log line alone.
 */
public final class AuthFileException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final int lineNumber;

    /**
     * @param source     the file name, or another description of where the text came from.
     * @param lineNumber 1-based line number of the offending line.
     * @param reason     what is wrong with it.
     */
    public AuthFileException(final String source, final int lineNumber, final String reason)
    {
        super(source + " line " + lineNumber + ": " + reason);
        this.lineNumber = lineNumber;
    }

    /** @return the 1-based line number of the offending line. */
    public int lineNumber()
    {
        return lineNumber;
    }
}
