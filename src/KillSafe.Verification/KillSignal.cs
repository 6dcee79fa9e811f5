namespace KillSafe.Verification;

/// <summary>Signals the kill harness sends; values are the Linux signal numbers (signal(7)).</summary>
public enum KillSignal
{
    /// <summary>SIGHUP: the terminal went away. Ends a .NET process without disposing anything (docs/linux-facts.md).</summary>
    Hup = 1,

    /// <summary>SIGINT: Ctrl+C.</summary>
    Int = 2,

    /// <summary>SIGQUIT: Ctrl+\.</summary>
    Quit = 3,

    /// <summary>SIGKILL: cannot be caught; nothing in the process runs.</summary>
    Kill = 9,

    /// <summary>SIGTERM: the polite stop that service managers send first.</summary>
    Term = 15,
}
