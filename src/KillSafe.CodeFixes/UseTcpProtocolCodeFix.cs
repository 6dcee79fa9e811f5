using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>KS3002 fix: create the socket with ProtocolType.Tcp, which gets .NET's implicit SO_REUSEADDR (docs/linux-facts.md).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseTcpProtocolCodeFix)), Shared]
public sealed class UseTcpProtocolCodeFix : DocumentEditingCodeFix
{
    public const string EquivalenceKey = "KS3002.UseTcp";
    public const string Title = "Create the socket with ProtocolType.Tcp (.NET then sets SO_REUSEADDR itself)";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(ManagedListenerMissesReuseAddressAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        Protocol(root, diagnostic) is not null;

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        if (Protocol(session.Root, diagnostic) is not { } protocol)
            return false;
        var tcp = SyntaxFactory.ParseExpression("global::System.Net.Sockets.ProtocolType.Tcp").WithTriviaFrom(protocol).WithAdditionalAnnotations(Simplifier.Annotation);
        session.Editor.ReplaceNode(protocol, tcp);
        return true;
    }

    private static ExpressionSyntax? Protocol(SyntaxNode root, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(ManagedListenerMissesReuseAddressAnalyzer.CanUseTcp, out var can) || can != "true" || diagnostic.AdditionalLocations.Count == 0)
            return null;
        var node = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true);
        return node is ArgumentSyntax argument ? argument.Expression : node as ExpressionSyntax;
    }
}
