using KillSafe.Verification;
using Xunit;

namespace KillSafe.Cli.Tests;

/// <summary>
/// What a person sees on a terminal: colour and a ticking progress line there, plain text everywhere else.
/// The terminal is a real pseudo-terminal, made by script(1) from util-linux.
/// </summary>
public sealed class TerminalOutputTests : IDisposable
{
    private const char Escape = '\u001b';
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"killsafe-tty-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);

    public TerminalOutputTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // killsafe ARGS with a pseudo-terminal as its stdout and stderr; the output is script's typescript, byte for
    // byte (a pipe reader would split the carriage returns into lines).
    private (int ExitCode, string Output) OnTerminal(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var line = string.Join(" ", new[] { KillsafeProcess.Dotnet, KillsafeProcess.Dll }.Concat(args).Select(Leaks.ShellQuote));
        var typescript = Path.Combine(_dir, "typescript");
        var (exitCode, _) = KillsafeProcess.Run(_dir, Array.Empty<string>(), new[] { "/usr/bin/script", "--quiet", "--return", "--command", line, typescript }, environment: environment, bare: true);
        var output = File.ReadAllText(typescript);
        File.Delete(typescript);
        return (exitCode, output);
    }

    // Select Graphic Rendition, the escape sequences of colour (the runtime's own keypad sequence is no colour).
    private static bool HasColour(string text) => System.Text.RegularExpressions.Regex.IsMatch(text, "\u001b\\[[0-9;]*m");

    [Fact]
    public void A_terminal_gets_colour_and_a_table_grouped_by_kind()
    {
        var stale = Path.Combine(_dir, "stale.sock");
        CliTests.StaleSocket(stale);
        var (exitCode, output) = OnTerminal(null, "scan", "--dir", _dir);
        Assert.True(exitCode == 1, output);
        Assert.Contains($"{Escape}[1mproven stale (sweep --apply removes these):{Escape}[0m", output);
        Assert.Contains($"{Escape}[36m  socket-file (1){Escape}[0m", output);
        Assert.Contains("    " + stale, output);
        Assert.Contains("remove with: rm " + stale, output);
    }

    [Fact]
    public void No_colour_when_piped_or_when_NO_COLOR_is_set()
    {
        var stale = Path.Combine(_dir, "stale.sock");
        CliTests.StaleSocket(stale);
        var (pipedExit, piped) = KillsafeProcess.Run(_dir, new[] { "scan", "--dir", _dir });
        Assert.True(pipedExit == 1, piped);
        Assert.Contains("  socket-file (1)", piped);
        Assert.False(HasColour(piped), piped);
        var (exitCode, output) = OnTerminal(new Dictionary<string, string?> { ["NO_COLOR"] = "1" }, "scan", "--dir", _dir);
        Assert.True(exitCode == 1, output);
        Assert.Contains("  socket-file (1)", output);
        Assert.False(HasColour(output), output);
    }

    [Fact]
    public void Verify_counts_the_wait_on_one_line_of_a_terminal()
    {
        var ready = Path.Combine(_dir, "ready");
        var (exitCode, output) = OnTerminal(null, "verify", "--host", "--no-restart", "--signal", "TERM", "--dir", _dir, "--ready-file", ready, "--", "/bin/sh", "-c", $"sleep 2; : > {ready}; exec sleep 60");
        Assert.True(exitCode == 0, output);
        // The line is rewritten in place (a carriage return, no new line) and ends with the time it took.
        Assert.Matches(@"waiting until it is ready\rkillsafe: started pid \d+, waiting until it is ready \(1 s\)\r", output);
        Assert.Matches(@"waiting until it is ready \(\d+\.\d s\)\r?\n", output);
        Assert.Contains($"{Escape}[32m{Escape}[1mPASS", output);
    }

    [Fact]
    public void Verify_piped_writes_each_step_as_its_own_line()
    {
        var ready = Path.Combine(_dir, "ready");
        var (exitCode, output) = KillsafeProcess.Run(_dir, new[] { "verify", "--host", "--no-restart", "--signal", "TERM", "--dir", _dir, "--ready-file", ready, "--", "/bin/sh", "-c", $"sleep 1; : > {ready}; exec sleep 60" });
        Assert.True(exitCode == 0, output);
        Assert.Matches(@"killsafe: started pid \d+, waiting until it is ready\n", output);
        Assert.DoesNotContain("waiting until it is ready (", output); // no count: each step is a line
        Assert.False(HasColour(output), output);
    }
}
