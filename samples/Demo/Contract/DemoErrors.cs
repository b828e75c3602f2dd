namespace SidecarKit.Samples.Demo;

/// <summary>The demo contract's application error codes.</summary>
public static class DemoErrors
{
    /// <summary><c>demo.divide</c> with divisor 0.</summary>
    public const int DivisionByZero = -32010;

    /// <summary><c>demo.work</c> when the parent declined.</summary>
    public const int DeclinedByParent = -32011;
}
