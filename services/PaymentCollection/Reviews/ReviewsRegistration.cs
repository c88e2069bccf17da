namespace Medins.PaymentCollection.Reviews;

public static class ReviewsRegistration
{
    /// <summary>The resolution of the review queue of refused notices.</summary>
    public static WebApplicationBuilder AddReviews(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ReviewDesk>();
        return builder;
    }
}
