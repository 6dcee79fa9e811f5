using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>
/// The positional <c>(path, FileMode[, FileAccess[, FileShare]])</c> arguments of <c>File.Open</c> or
/// <c>new FileStream</c>, and their rewrite to the full form: the shape both the kernel-lock fix (KS5002)
/// and the DeleteOnClose fix (KS5003) change.
/// </summary>
internal static class FileOpenArguments
{
    /// <summary>
    /// The argument list of <paramref name="call"/> when it has that shape (2 to 4 arguments, none named; with
    /// <paramref name="withOptions"/>, also the bufferSize and FileOptions that may follow).
    /// </summary>
    public static ArgumentListSyntax? Of(SyntaxNode call, IMethodSymbol method, bool withOptions = false)
    {
        var list = (call as BaseObjectCreationExpressionSyntax)?.ArgumentList ?? (call as InvocationExpressionSyntax)?.ArgumentList;
        int most = withOptions ? 6 : 4;
        if (list is null || list.Arguments.Count < 2 || list.Arguments.Count > most || list.Arguments.Any(a => a.NameColon is not null) || method.Parameters.Length < list.Arguments.Count)
            return null;
        string[] expected = { "FileMode", "FileAccess", "FileShare", "Int32", "FileOptions" };
        for (int i = 1; i < list.Arguments.Count; i++)
        {
            if (method.Parameters[i].Type.Name != expected[i - 1])
                return null;
        }

        return list;
    }

    /// <summary>
    /// The full form: <paramref name="mode"/> replaces the FileMode when given, a missing FileAccess becomes
    /// ReadWrite, <paramref name="share"/> replaces (or supplies) the FileShare, a missing one becomes None,
    /// and <paramref name="extra"/> follows (bufferSize, FileOptions).
    /// </summary>
    public static ArgumentListSyntax With(ArgumentListSyntax list, string? mode, string? share, params string[] extra)
    {
        var arguments = list.Arguments;
        if (mode is not null)
            arguments = arguments.Replace(arguments[1], Argument("global::System.IO.FileMode." + mode).WithTriviaFrom(arguments[1]));
        if (arguments.Count == 2)
            arguments = arguments.Add(Argument("global::System.IO.FileAccess.ReadWrite"));
        if (arguments.Count == 3)
            arguments = arguments.Add(Argument("global::System.IO.FileShare." + (share ?? "None")));
        else if (share is not null)
            arguments = arguments.Replace(arguments[3], Argument("global::System.IO.FileShare." + share).WithTriviaFrom(arguments[3]));
        foreach (var text in extra)
            arguments = arguments.Add(Argument(text));
        return list.WithArguments(arguments);
    }

    private static ArgumentSyntax Argument(string text) =>
        SyntaxFactory.Argument(SyntaxFactory.ParseExpression(text).WithAdditionalAnnotations(Simplifier.Annotation));
}
