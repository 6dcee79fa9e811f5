using KillSafe.Verification;

namespace KillSafe.Cli.Tests;

/// <summary>The killsafe tool run as a user runs it: a real process on the test's runtime, its output and exit code.</summary>
internal static class KillsafeProcess
{
    public static string Dotnet => KillRunOptions.DotnetHost;

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "killsafe.dll");

    /// <summary>
    /// Runs <c>killsafe ARGS</c> (through <paramref name="prefix"/>, such as setpriv or unshare, when given). No
    /// runtime diagnostics files; verify's records go to <paramref name="stateDirectory"/>, not the user's own.
    /// </summary>
    /// <param name="bare">The prefix is the whole command (it runs killsafe itself, as script(1) does).</param>
    public static (int ExitCode, string Output) Run(string stateDirectory, IEnumerable<string> args, string[]? prefix = null, string? workingDirectory = null, int timeoutSeconds = 180, IReadOnlyDictionary<string, string?>? environment = null, bool bare = false)
    {
        var command = (prefix ?? Array.Empty<string>()).Concat(bare ? Array.Empty<string>() : new[] { Dotnet, Dll }).Concat(args).ToList();
        var variables = new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = "0", ["KILLSAFE_STATE_DIR"] = stateDirectory };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            variables[name] = value;
        using var cli = ChildProcess.Start(command[0], command.Skip(1), variables, workingDirectory);
        var exitCode = cli.WaitForExitAsync(TimeSpan.FromSeconds(timeoutSeconds)).GetAwaiter().GetResult();
        return (exitCode, cli.Output);
    }
}
