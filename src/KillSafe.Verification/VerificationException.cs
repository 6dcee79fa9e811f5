namespace KillSafe.Verification;

/// <summary>A verification step could not be carried out (a process did not start, did not become ready, ...).</summary>
public sealed class VerificationException : Exception
{
    /// <summary>Creates the exception with a message meant for a person.</summary>
    public VerificationException(string message)
        : base(message)
    {
    }
}
