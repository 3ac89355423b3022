"""Small Streamlit helpers shared by the views: engine, current user, labels."""
