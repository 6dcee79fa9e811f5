namespace KillSafe.Verification.Proc;

/// <summary>
/// A /proc table did not have the expected shape (a missing header column, a truncated row, a field that
/// is not a number). The only exception the parsers throw for bad input.
/// </summary>
public sealed class ProcParseException : VerificationEnvironmentException
{
    /// <summary>Creates the exception naming the table and what was wrong.</summary>
    public ProcParseException(string table, string problem)
        : base($"{table}: {problem}")
    {
        Table = table;
    }

    /// <summary>The table that failed to parse, such as /proc/sysvipc/shm.</summary>
    public string Table { get; }
}
