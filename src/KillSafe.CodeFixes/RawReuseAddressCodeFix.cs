using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>
/// KS3001 fix: <c>setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)</c> right before the raw bind, in the file's
/// style: Tmds.LibC's constants, or the file's own P/Invoke (declared next to <c>bind</c>, in the same
/// style, when it is missing).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RawReuseAddressCodeFix)), Shared]
public sealed class RawReuseAddressCodeFix : DocumentEditingCodeFix
{
    public const string EquivalenceKey = "KS3001.SetReuseAddr";
    public const string Title = "Set SO_REUSEADDR before bind";
    private const string TmdsLibC = "Tmds.Linux.LibC";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RawListenerWithoutReuseAddressAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        Plan(root, model, diagnostic, cancellationToken) is not null;

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        if (Plan(session.Root, session.Model, diagnostic, session.CancellationToken) is not { } plan)
            return false;
        var model = session.Model;
        var variable = UniqueName(model, plan.Bind.SpanStart, "reuseAddress", session.Taken);
        var fd = plan.Fd.WithoutTrivia().ToString();
        string call;
        switch (plan.Style)
        {
            case Style.Tmds:
                call = $"global::Tmds.Linux.LibC.setsockopt({fd}, global::Tmds.Linux.LibC.SOL_SOCKET, global::Tmds.Linux.LibC.SO_REUSEADDR, &{variable}, sizeof(int));";
                break;
            case Style.ExistingRef:
            case Style.ExistingPointer:
                var value = plan.Style == Style.ExistingRef ? "ref " + variable : "&" + variable;
                call = $"{NativeDeclarations.Qualified(plan.Setsockopt!, plan.Bind, model)}({fd}, 1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, {value}, sizeof(int));";
                break;
            default:
                var bindDeclaration = plan.BindDeclaration!;
                if (session.Taken.Add("setsockopt@" + bindDeclaration.SpanStart))
                    session.Editor.InsertAfter(bindDeclaration, NativeDeclarations.DeclareLike(bindDeclaration, "setsockopt", "int", "int socket, int level, int optionName, ref int optionValue, int optionLength"));
                var owner = model.GetDeclaredSymbol(bindDeclaration, session.CancellationToken)?.ContainingType;
                var enclosing = model.GetEnclosingSymbol(plan.Bind.SpanStart, session.CancellationToken)?.ContainingType;
                var prefix = owner is null || SymbolEqualityComparer.Default.Equals(owner, enclosing) ? string.Empty : owner.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ".";
                call = $"{prefix}setsockopt({fd}, 1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, ref {variable}, sizeof(int));";
                break;
        }

        return StatementInsertion.InsertBefore(session.Editor, plan.Bind, new[]
        {
            SyntaxFactory.ParseStatement($"int {variable} = 1;" + System.Environment.NewLine),
            SyntaxFactory.ParseStatement(call + System.Environment.NewLine).WithAdditionalAnnotations(Simplifier.Annotation),
        });
    }

    private enum Style
    {
        Tmds,
        ExistingRef,
        ExistingPointer,
        Declare,
    }

    private sealed class FixPlan
    {
        public FixPlan(InvocationExpressionSyntax bind, ExpressionSyntax fd, Style style, IMethodSymbol? setsockopt, MethodDeclarationSyntax? bindDeclaration)
        {
            Bind = bind;
            Fd = fd;
            Style = style;
            Setsockopt = setsockopt;
            BindDeclaration = bindDeclaration;
        }

        public InvocationExpressionSyntax Bind { get; }

        public ExpressionSyntax Fd { get; }

        public Style Style { get; }

        public IMethodSymbol? Setsockopt { get; }

        public MethodDeclarationSyntax? BindDeclaration { get; }
    }

    private static FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var bind = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>();
        if (bind is null || bind.ArgumentList.Arguments.Count < 1 || !StatementInsertion.CanInsertAround(bind))
            return null;
        var fd = bind.ArgumentList.Arguments[0].Expression;
        if (!RepeatableExpression.CanRepeatAt(fd, bind.SpanStart, model, cancellationToken))
            return null;
        if (model.GetSymbolInfo(bind, cancellationToken).Symbol is not IMethodSymbol bindMethod)
            return null;
        if (bindMethod.ContainingType?.ToDisplayString() == TmdsLibC)
            return new FixPlan(bind, fd, Style.Tmds, null, null);

        var catalog = CatalogView.Create(model.Compilation, ResourceKind.ListeningSocket);
        if (catalog is null || bindMethod.ContainingType is not { } nativeType)
            return null;
        var existing = NativeDeclarations.Find(nativeType, "setsockopt", catalog) is { Parameters.Length: 5 } found ? found : null;
        if (existing is not null)
        {
            var value = existing.Parameters[3];
            if (value.RefKind == RefKind.Ref && value.Type.SpecialType == SpecialType.System_Int32)
                return new FixPlan(bind, fd, Style.ExistingRef, existing, null);
            if (value.Type is IPointerTypeSymbol && IsUnsafeContext(bind))
                return new FixPlan(bind, fd, Style.ExistingPointer, existing, null);
            return null; // an IntPtr or other signature: no mechanical fix
        }

        // Declare setsockopt next to bind: possible when bind is declared in this document.
        var declaration = NativeDeclarations.DeclarationIn(bindMethod, root.SyntaxTree, cancellationToken);
        return declaration is null ? null : new FixPlan(bind, fd, Style.Declare, null, declaration);
    }

    private static bool IsUnsafeContext(SyntaxNode node) =>
        node.Ancestors().Any(a => a is UnsafeStatementSyntax
            || (a is MemberDeclarationSyntax member && member.Modifiers.Any(SyntaxKind.UnsafeKeyword))
            || (a is LocalFunctionStatementSyntax local && local.Modifiers.Any(SyntaxKind.UnsafeKeyword)));

    private static string UniqueName(SemanticModel model, int position, string name, HashSet<string> taken)
    {
        var candidate = name;
        for (int i = 2; taken.Contains(candidate) || model.LookupSymbols(position, name: candidate).Any(); i++)
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        taken.Add(candidate);
        return candidate;
    }
}
