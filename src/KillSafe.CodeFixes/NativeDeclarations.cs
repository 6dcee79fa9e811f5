using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace KillSafe.CodeFixes;

/// <summary>
/// Finds a libc function the file already declares, or declares it next to another P/Invoke of the same
/// library in the same style (DllImport or LibraryImport, library, SetLastError, modifiers).
/// </summary>
internal static class NativeDeclarations
{
    /// <summary>The method of <paramref name="type"/> that calls <paramref name="entryPoint"/>, or null.</summary>
    public static IMethodSymbol? Find(INamedTypeSymbol type, string entryPoint, CatalogView catalog) =>
        type.GetMembers().OfType<IMethodSymbol>().FirstOrDefault(m => catalog.NativeEntryPoint(m) == entryPoint);

    /// <summary>A declaration of <paramref name="entryPoint"/> anywhere in the file of <paramref name="model"/>, or null.</summary>
    public static IMethodSymbol? FindInFile(SemanticModel model, string entryPoint, CatalogView catalog, System.Threading.CancellationToken cancellationToken) =>
        model.SyntaxTree.GetRoot(cancellationToken).DescendantNodes().OfType<MethodDeclarationSyntax>()
            .Where(d => d.AttributeLists.Count > 0)
            .Select(d => model.GetDeclaredSymbol(d, cancellationToken))
            .FirstOrDefault(m => m is not null && catalog.NativeEntryPoint(m) == entryPoint);

    /// <summary>
    /// A declaration of <paramref name="entryPoint"/> with <paramref name="parameters"/> (C# parameter list
    /// text), copying the attributes and modifiers of <paramref name="template"/>; an EntryPoint in the
    /// template's attribute is pointed at the new function.
    /// </summary>
    public static MethodDeclarationSyntax DeclareLike(MethodDeclarationSyntax template, string entryPoint, string returnType, string parameters)
    {
        var attributes = SyntaxFactory.List(template.AttributeLists.Select(list => list.WithAttributes(SyntaxFactory.SeparatedList(list.Attributes.Select(attribute =>
            attribute.ArgumentList is null ? attribute : attribute.WithArgumentList(attribute.ArgumentList.WithArguments(SyntaxFactory.SeparatedList(attribute.ArgumentList.Arguments.Select(argument =>
                argument.NameEquals?.Name.Identifier.ValueText == "EntryPoint"
                    ? argument.WithExpression(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(entryPoint)))
                    : argument)))))))));
        var declaration = (MethodDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration($"static {returnType} {entryPoint}({parameters});")!;
        return declaration
            .WithAttributeLists(attributes)
            .WithModifiers(template.Modifiers)
            .WithLeadingTrivia(Spacing(template).AddRange(template.GetLeadingTrivia().Where(t => !t.IsKind(SyntaxKind.EndOfLineTrivia))))
            .WithTrailingTrivia(template.GetTrailingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation);
    }

    /// <summary>A blank line before the new member when the members after the template are separated by blank lines: compact lists stay compact.</summary>
    private static SyntaxTriviaList Spacing(MethodDeclarationSyntax template)
    {
        var next = template.Parent?.ChildNodes().OfType<MemberDeclarationSyntax>().SkipWhile(m => m != template).Skip(1).FirstOrDefault();
        bool separated = next is not null && next.GetLeadingTrivia().Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        return separated ? SyntaxFactory.TriviaList(SyntaxFactory.EndOfLine(System.Environment.NewLine)) : SyntaxFactory.TriviaList();
    }

    /// <summary>The declaration syntax of <paramref name="method"/> in <paramref name="tree"/>, or null.</summary>
    public static MethodDeclarationSyntax? DeclarationIn(IMethodSymbol method, SyntaxTree tree, System.Threading.CancellationToken cancellationToken) =>
        method.DeclaringSyntaxReferences.Where(r => r.SyntaxTree == tree).Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();

    /// <summary>How to name <paramref name="method"/> from <paramref name="site"/>: bare inside its type, else qualified.</summary>
    public static string Qualified(ISymbol method, SyntaxNode site, SemanticModel model)
    {
        var enclosing = model.GetEnclosingSymbol(site.SpanStart)?.ContainingType;
        return SymbolEqualityComparer.Default.Equals(method.ContainingType, enclosing)
            ? method.Name
            : method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + method.Name;
    }
}
