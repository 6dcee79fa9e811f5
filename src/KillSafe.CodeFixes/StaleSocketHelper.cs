using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace KillSafe.CodeFixes;

/// <summary>
/// The file-local helper that KS2001's fix adds once per file: <c>StaleUnixSocket.DeleteIfStale(path)</c>.
/// A file-local class (C# 11) cannot collide with the copy another file gets under Fix All.
/// </summary>
internal static class StaleSocketHelper
{
    public const string ClassName = "StaleUnixSocket";
    public const string MethodName = "DeleteIfStale";

    // Kept in step with docs/rules/KS2001.md ("The fix") and exercised by the KS2001 evidence test.
    private const string Source = @"
/// <summary>Removes a Unix socket file left behind by a process that died without closing it (KillSafe KS2001).</summary>
file static class StaleUnixSocket
{
    /// <summary>
    /// Deletes <paramref name=""path""/> only when it is a socket file that no process listens on:
    /// never a regular file or a directory, never the socket of a live listener.
    /// </summary>
    public static void DeleteIfStale(string path)
    {
        if (!IsSocketFile(path))
            return;
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
        {
            // Nobody listens on it: the file is left over from a process that died.
            System.IO.File.Delete(path);
        }
        catch (System.Net.Sockets.SocketException)
        {
            // In use by a socket of another type, or not reachable: leave it alone.
        }
    }

    // System.IO cannot tell a socket file from a regular file (both are FileAttributes.Normal), so ask
    // statx(2) without following symlinks: stx_mode is the 16-bit field at offset 28 of struct statx.
    private static bool IsSocketFile(string path)
    {
        var buffer = new byte[256];
        try
        {
            if (statx(-100 /* AT_FDCWD */, path, 0x100 /* AT_SYMLINK_NOFOLLOW */, 0x1 /* STATX_TYPE */, buffer) != 0)
                return false;
        }
        catch (System.EntryPointNotFoundException)
        {
            return false; // not Linux: leave the file alone
        }
        catch (System.DllNotFoundException)
        {
            return false;
        }

        return (System.BitConverter.ToUInt16(buffer, 28) & 0xF000) == 0xC000; // S_IFMT == S_IFSOCK
    }

    [System.Runtime.InteropServices.DllImport(""libc"", SetLastError = true)]
    private static extern int statx(int dirfd, string pathname, int flags, uint mask, byte[] statxbuf);
}
";

    /// <summary>File-local types need C# 11.</summary>
    public static bool IsAvailable(SyntaxNode root) => FileLocalHelper.IsAvailable(root);

    public static StatementSyntax Call(ExpressionSyntax path) =>
        SyntaxFactory.ParseStatement(ClassName + "." + MethodName + "(" + path.ToString() + ");" + System.Environment.NewLine)
            .WithAdditionalAnnotations(Formatter.Annotation);

    /// <summary>Adds the helper class to the file unless it is there already.</summary>
    public static SyntaxNode EnsureDeclared(SyntaxNode root) => FileLocalHelper.EnsureDeclared(root, ClassName, Source);
}
