using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using VerifyKS5003 = Verify<TemporaryFileNeverDeletedAnalyzer, DeleteTemporaryFileCodeFix>;

public class KS5003Tests
{
    private static DiagnosticResult Expected(int marker, string api, string path) =>
        VerifyKS5003.Diagnostic(TemporaryFileNeverDeletedAnalyzer.Rule).WithLocation(marker).WithArguments(api, path);

    [Fact]
    public Task Temporary_files_nobody_deletes_are_flagged() => VerifyKS5003.AnalyzerAsync("""

using System.IO;
class Work
{
    void A()
    {
        var tmp = {|#0:Path.GetTempFileName()|};
        File.WriteAllText(tmp, "data");
    }
    void B(string id)
    {
        var path = Path.Combine(Path.GetTempPath(), id + ".json");
        {|#1:File.WriteAllText(path, "{}")|};
        using var s = {|#2:new FileStream(Path.GetTempPath() + "scratch", FileMode.Create)|};
        var report = $"{Path.GetTempPath()}/report-{id}.txt";
        {|#3:File.Create(report)|}.Dispose();
    }
}
""",
        Expected(0, "Path.GetTempFileName", "tmp"), Expected(1, "File.WriteAllText", "path"), Expected(2, "FileStream", @"Path.GetTempPath() + ""scratch"""), Expected(3, "File.Create", "report"));

    [Fact]
    public Task Deleted_escaping_DeleteOnClose_and_non_temporary_files_are_quiet() => VerifyKS5003.AnalyzerAsync("""

using System.IO;
class Quiet
{
    string _kept = "";
    void Deleted()
    {
        var tmp = Path.GetTempFileName();
        try { File.WriteAllText(tmp, "x"); } finally { File.Delete(tmp); }
    }
    string Returned() { var tmp = Path.GetTempFileName(); return tmp; }
    void Field() { var tmp = Path.GetTempFileName(); _kept = tmp; }
    void OnClose() { using var s = new FileStream(Path.GetTempPath() + "x", FileMode.Create, FileAccess.ReadWrite, FileShare.None, 4096, FileOptions.DeleteOnClose); }
    void Elsewhere(string dir) { File.WriteAllText(Path.Combine(dir, "out.txt"), "kept"); }
}
""");

    [Fact]
    public Task Fix_All_nests_finally_blocks_in_creation_order() => VerifyKS5003.CodeFixAsync("""

using System.IO;
class Work
{
    void Run()
    {
        var input = {|#0:Path.GetTempFileName()|};
        File.WriteAllText(input, "data");
        var output = {|#1:Path.GetTempFileName()|};
        File.Copy(input, output, true);
    }
}
""", """

using System.IO;
class Work
{
    void Run()
    {
        var input = Path.GetTempFileName();
        try
        {
            File.WriteAllText(input, "data");
            var output = Path.GetTempFileName();
            try
            {
                File.Copy(input, output, true);
            }
            finally
            {
                File.Delete(output);
            }
        }
        finally
        {
            File.Delete(input);
        }
    }
}
""", Expected(0, "Path.GetTempFileName", "input"), Expected(1, "Path.GetTempFileName", "output"));

    [Fact]
    public async Task Fix_opens_a_single_stream_with_DeleteOnClose()
    {
        var test = new KillSafeTest<TemporaryFileNeverDeletedAnalyzer, DeleteTemporaryFileCodeFix>
        {
            TestCode = """

using System.IO;
class Work
{
    void Run()
    {
        var tmp = {|#0:Path.GetTempFileName()|};
        using var stream = new FileStream(tmp, FileMode.Open);
        stream.WriteByte(1);
    }
}
""",
            FixedCode = """

using System.IO;
class Work
{
    void Run()
    {
        var tmp = Path.GetTempFileName();
        using var stream = new FileStream(tmp, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 4096, FileOptions.DeleteOnClose);
        stream.WriteByte(1);
    }
}
""",
            CodeActionEquivalenceKey = DeleteTemporaryFileCodeFix.DeleteOnCloseKey,
            CodeActionIndex = 1,
        };
        test.ExpectedDiagnostics.Add(Expected(0, "Path.GetTempFileName", "tmp"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Fix_All_opens_every_single_stream_temporary_file_with_DeleteOnClose()
    {
        var test = new KillSafeTest<TemporaryFileNeverDeletedAnalyzer, DeleteTemporaryFileCodeFix>
        {
            TestCode = """

using System.IO;
class Work
{
    void Spool(byte[] data)
    {
        using var spool = {|#0:new FileStream(Path.Combine(Path.GetTempPath(), "spool.bin"), FileMode.Create, FileAccess.Write)|};
        spool.Write(data);
    }
    void Scratch()
    {
        var tmp = {|#1:Path.GetTempFileName()|};
        using var stream = new FileStream(tmp, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        stream.WriteByte(1);
    }
}
""",
            FixedCode = """

using System.IO;
class Work
{
    void Spool(byte[] data)
    {
        using var spool = new FileStream(Path.Combine(Path.GetTempPath(), "spool.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.DeleteOnClose);
        spool.Write(data);
    }
    void Scratch()
    {
        var tmp = Path.GetTempFileName();
        using var stream = new FileStream(tmp, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 4096, FileOptions.DeleteOnClose);
        stream.WriteByte(1);
    }
}
""",
            CodeActionEquivalenceKey = DeleteTemporaryFileCodeFix.DeleteOnCloseKey,
            // (the finally fix is not offered for the spool: its path is a call, not repeatable)
        };
        test.ExpectedDiagnostics.Add(Expected(0, "FileStream", @"Path.Combine(Path.GetTempPath(), ""spool.bin"")"));
        test.ExpectedDiagnostics.Add(Expected(1, "Path.GetTempFileName", "tmp"));
        await test.RunAsync(CancellationToken.None);
    }
}
