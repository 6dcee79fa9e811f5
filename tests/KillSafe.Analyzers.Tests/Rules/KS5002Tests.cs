using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using VerifyKS5002 = Verify<LockFileByExistenceAnalyzer, KernelLockCodeFix>;

public class KS5002Tests
{
    private static DiagnosticResult Expected(int marker, string api, string path) =>
        VerifyKS5002.Diagnostic(LockFileByExistenceAnalyzer.Rule).WithLocation(marker).WithArguments(api, path);

    [Fact]
    public Task Existence_check_then_create_and_CreateNew_released_by_delete_are_flagged() => VerifyKS5002.AnalyzerAsync("""

using System;
using System.IO;
class Service
{
    const string LockPath = "/tmp/service.lock";
    static int Main()
    {
        if (File.Exists(LockPath))
            return 1;
        {|#0:File.WriteAllText(LockPath, Environment.ProcessId.ToString())|};
        try { Run(); } finally { File.Delete(LockPath); }
        return 0;
    }
    static void Run() { }
    static void Refuse(string path)
    {
        if (File.Exists(path))
        {
            Console.Error.WriteLine("locked");
            Environment.Exit(3);
        }
        {|#3:File.WriteAllBytes(path, new byte[0])|};
        Run();
        File.Delete(path);
    }
    static void Wait(string path)
    {
        while (File.Exists(path))
            System.Threading.Thread.Sleep(100);
        {|#2:File.Create(path)|}.Dispose();
        Run();
        File.Delete(path);
    }
    void Other(string dir)
    {
        var path = Path.Combine(dir, "other.lock");
        using var held = {|#1:new FileStream(path, FileMode.CreateNew)|};
        Run();
        File.Delete(path);
    }
}
""",
        Expected(0, "File.WriteAllText", "/tmp/service.lock"), Expected(3, "File.WriteAllBytes", "path"), Expected(2, "File.Create", "path"), Expected(1, "FileStream", "path"));

    [Fact]
    public Task Data_files_kernel_locks_and_unrelated_checks_are_quiet() => VerifyKS5002.AnalyzerAsync("""

using System.IO;
class Quiet
{
    void Cache(string path)
    {
        if (!File.Exists(path))
            File.WriteAllText(path, "cached"); // created once and kept: data, not a lock
    }
    void KernelLock(string path)
    {
        using var held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }
    void Other(string a, string b)
    {
        if (File.Exists(a))
            return;
        File.WriteAllText(b, "x");
        File.Delete(b);
    }
    void Replace(string path)
    {
        if (File.Exists(path))
            File.Delete(path); // replaces an old file: no lock
        File.WriteAllText(path, "pid");
        File.Delete(path);
    }
    void Temp(string path)
    {
        File.WriteAllText(path, "scratch");
        File.Delete(path);
    }
}
""");

    [Fact]
    public Task Fix_turns_the_existence_check_into_a_kernel_lock_and_drops_the_delete() => VerifyKS5002.CodeFixAsync("""

using System;
using System.IO;
const string LockPath = "/tmp/service.lock";
if (File.Exists(LockPath))
{
    Console.Error.WriteLine("already running");
    return 1;
}
{|#0:File.WriteAllText(LockPath, "locked")|};
try
{
    Console.WriteLine("working");
}
finally
{
    File.Delete(LockPath);
}
return 0;

""", """

using System;
using System.IO;
const string LockPath = "/tmp/service.lock";
if (!ProcessLock.TryAcquire(LockPath))
{
    Console.Error.WriteLine("already running");
    return 1;
}
try
{
    Console.WriteLine("working");
}
finally
{
}
return 0;

file static class ProcessLock
{
    // Held until the process ends: the kernel releases the lock (flock) when the process dies, even by SIGKILL.
    private static readonly System.Collections.Generic.List<System.IO.FileStream> Held = new();

    /// <summary>Takes an exclusive lock on <paramref name="path"/>; false when another live process holds it.</summary>
    public static bool TryAcquire(string path)
    {
        try
        {
            var stream = new System.IO.FileStream(path, System.IO.FileMode.OpenOrCreate, System.IO.FileAccess.ReadWrite, System.IO.FileShare.None);
            lock (Held)
                Held.Add(stream);
            return true;
        }
        catch (System.IO.IOException)
        {
            return false;
        }
    }
}

""", Microsoft.CodeAnalysis.OutputKind.ConsoleApplication, Expected(0, "File.WriteAllText", "/tmp/service.lock"));

    [Fact]
    public Task Fix_All_makes_CreateNew_locks_exclusive_opens() => VerifyKS5002.CodeFixAsync("""

using System.IO;
class Locks
{
    void A(string path)
    {
        using var held = {|#0:new FileStream(path, FileMode.CreateNew)|};
        File.Delete(path);
    }
    void B()
    {
        using var held = {|#1:File.Open("/tmp/b.lock", FileMode.CreateNew, FileAccess.Write, FileShare.Read)|};
        File.Delete("/tmp/b.lock");
    }
}
""", """

using System.IO;
class Locks
{
    void A(string path)
    {
        using var held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }
    void B()
    {
        using var held = File.Open("/tmp/b.lock", FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
    }
}
""", Expected(0, "FileStream", "path"), Expected(1, "File.Open", "/tmp/b.lock"));
}
