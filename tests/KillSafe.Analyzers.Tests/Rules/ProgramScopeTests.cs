using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

/// <summary>
/// Shapes from the signal corpus (docs/accuracy.md): which compilations are programs that own their process on
/// Linux (not test projects, whose runner owns it; not programs for Windows only), and socket paths made new
/// for every run, which no restart meets again.
/// </summary>
public class ProgramScopeTests
{
    private const string ExitHandlerProgram = """

using System;
using System.IO;

AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/job.pid");
Console.ReadLine();

""";

    private static KillSafeTest<ExitHandlerMissesSigtermAnalyzer, ExitOnSigtermCodeFix> ExitHandlerTest(string globalConfig, string extraSource = "")
    {
        var test = new KillSafeTest<ExitHandlerMissesSigtermAnalyzer, ExitOnSigtermCodeFix>() { TestCode = ExitHandlerProgram };
        if (extraSource.Length > 0)
            test.TestState.Sources.Add(("/Assembly.cs", extraSource));
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\n" + globalConfig));
        return test;
    }

    [Fact]
    public Task A_test_project_is_not_a_program_even_when_it_is_an_executable() =>
        ExitHandlerTest("build_property.TargetFramework = net10.0\nbuild_property.IsTestProject = true\n").RunAsync(CancellationToken.None);

    [Fact]
    public Task A_program_for_Windows_only_is_not_judged_for_Linux_signals() =>
        ExitHandlerTest("build_property.TargetFramework = net10.0\nbuild_property.TargetPlatformIdentifier = windows\n").RunAsync(CancellationToken.None);

    [Fact]
    public Task An_assembly_marked_for_Windows_only_is_not_judged_either() =>
        ExitHandlerTest("build_property.TargetFramework = net10.0\n", """

[assembly: System.Runtime.Versioning.SupportedOSPlatform("windows")]

""").RunAsync(CancellationToken.None);

    [Fact]
    public Task A_socket_path_made_new_for_every_run_cannot_be_stale_at_the_next_bind() => Verify<StaleUnixSocketFileAnalyzer, DeleteStaleSocketFileCodeFix>.AnalyzerAsync("""

using System;
using System.IO;
using System.Net.Sockets;

class Probe
{
    static string NewSocketPath() => Path.Combine(Path.GetTempPath(), $"probe-{Guid.NewGuid():N}.sock");

    void Run()
    {
        var path = NewSocketPath();
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(path));
        server.Listen(1);
    }

    void RunPerProcess()
    {
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint($"/run/probe-{Environment.ProcessId}.sock"));
        server.Listen(1);
    }
}

""");
}
