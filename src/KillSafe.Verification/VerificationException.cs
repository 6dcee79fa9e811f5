namespace KillSafe.Verification;

/// <summary>
/// A verification step could not be carried out (a process did not start, did not become ready, ...). The
/// base of every exception the library throws for a person to read: its own kinds are
/// <see cref="VerificationEnvironmentException"/> (the machine cannot be inspected) and
/// <see cref="LeakException"/> (a guard found leftovers), so one <c>catch</c> takes them all.
/// </summary>
public class VerificationException : Exception
{
    /// <summary>Creates the exception with a message meant for a person.</summary>
    public VerificationException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// The machine cannot be inspected as the library needs: no /proc, a kernel table in a shape it does not
/// know, no permission to read what it must. Not the caller's input; the CLI exits 3 for it.
/// </summary>
public class VerificationEnvironmentException : VerificationException
{
    /// <summary>Creates the exception with a message meant for a person.</summary>
    public VerificationEnvironmentException(string message)
        : base(message)
    {
    }
}
